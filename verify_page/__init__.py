"""The public verification page: ``/V/{CERT_ID}/{PAYLOAD}``, photos, ``/lookup``, the JWK Set.

* ``endpoints`` — the public, read-only routes (``verify_routes(deps)``);
* ``holder_qr`` — the holder's own QR files (``holder_qr_routes(deps)``, login required);
* ``presenter`` — a verdict as HTML (``templates/``, ``static/verify.css``) or JSON.

The verdict itself is decided in ``schema.services.verification``.
"""

__all__: list[str] = []
