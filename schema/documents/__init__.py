"""The certificate rendered as documents: an A4 PDF, a phone-sized PNG card, a QR label.

Pure functions of a :class:`CertificateDocument` (display-ready values); no database, no
web. Text is set in the Noto CJK fonts (Debian ``fonts-noto-cjk``); without them the
renderers raise :class:`FontMissing`, and :func:`check_fonts` tells a startup check so.

The renderers pull in fpdf2, fontTools and Pillow (tens of MiB per process), so they are
loaded at their first use (PEP 562), not when the web app imports this package: a worker
that serves scans and never draws a document stays small (issue 10, idle memory).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from schema.documents.model import CertificateDocument

if TYPE_CHECKING:
    from schema.documents.card_png import render_card_png
    from schema.documents.certificate_pdf import render_certificate_pdf
    from schema.documents.fonts import FontMissing, check_fonts
    from schema.documents.qr_label import render_qr_label_png

__all__ = [
    "CertificateDocument",
    "FontMissing",
    "check_fonts",
    "render_card_png",
    "render_certificate_pdf",
    "render_qr_label_png",
]

_LAZY = {
    "FontMissing": "schema.documents.fonts",
    "check_fonts": "schema.documents.fonts",
    "render_card_png": "schema.documents.card_png",
    "render_certificate_pdf": "schema.documents.certificate_pdf",
    "render_qr_label_png": "schema.documents.qr_label",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
