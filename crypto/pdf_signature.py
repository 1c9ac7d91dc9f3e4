"""PAdES seals on certificate PDF documents, and their offline validation.

Sealing
-------
:func:`seal_pdf` appends one incremental update to the PDF holding an
invisible signature field whose value is a PAdES baseline signature
(``/SubFilter /ETSI.CAdES.detached``, SHA-256, ECDSA P-256):

* **B-B** without a timestamper: the CMS carries the signer certificate and
  the root (``crypto.document_ca``), so a validator with the root as trust
  anchor builds the chain offline;
* **B-T** with a timestamper: the signature value is additionally
  timestamped (RFC 3161 signature-time-stamp, an unsigned attribute) by an
  in-process timestamp authority built from the given credential -- no HTTP.
  pyHanko's own in-process TSA (``DummyTimeStamper``) is RSA-only, so
  :class:`_LocalTimeStamper` builds the TSTInfo itself and signs it with
  pyHanko's regular CMS signer (ECDSA, with signingCertificateV2 and
  CMSAlgorithmProtection attributes).

The signature's ``/ByteRange`` covers the whole file as written except the
``/Contents`` hole, so any later byte -- an appended update or garbage --
shows up as ``covers_whole_document=False``.

Validation
----------
:func:`check_pdf_signature` validates the *first* signature of the document
with pyHanko against the given trust roots only (no fetching, no OS trust
store; the certificates carry no revocation pointers, revocation is handled by
the service's own records).  It never raises on bad input: every failure is a
:class:`PdfSignatureReport` whose ``problem`` names the first check that
failed, in this order::

    not_a_pdf       the bytes do not start like a PDF
    malformed       looks like a PDF but cannot be parsed (e.g. truncated)
    no_signature    no signature field with a value
    unsupported     a signature pyHanko will not validate (e.g. other SubFilter)
    modified        the signed bytes do not match the signed digest
    invalid         the CMS signature itself does not verify
    untrusted       no chain to a trusted root (or expired / wrong key usage)
    not_whole_document  bytes were added after the signed range

Threads and event loops
-----------------------
Both functions are synchronous and drive pyHanko's asyncio API with
``asyncio.run``.  From async code call them in a worker thread
(``await asyncio.to_thread(check_pdf_signature, ...)``); called on a thread
with a running event loop they raise RuntimeError instead of blocking it.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from asn1crypto import cms, tsp  # type: ignore[import-untyped]
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from crypto._util import require_utc
from crypto.document_ca import DocumentCaError, UnlockedCredential, issued_by
from crypto.errors import CryptoError

__all__ = [
    "DEFAULT_FIELD_NAME",
    "DEFAULT_REASON",
    "PdfSealError",
    "PdfSignatureReport",
    "check_pdf_signature",
    "seal_pdf",
]

DEFAULT_REASON = "职称电子证书签章"
DEFAULT_FIELD_NAME = "ecert-seal"

_DIGEST = "sha256"
# TSA policy of the local timestamp authority: an OID under the UUID arc
# 2.25 (ITU-T X.667), which needs no registration.
_TSA_POLICY = "2.25.168669976385647122713649070698992720845"

_log = logging.getLogger(__name__)


class PdfSealError(CryptoError, ValueError):
    """A PDF could not be sealed (input is not a PDF, or credentials do not chain)."""


@dataclass(frozen=True)
class PdfSignatureReport:
    """Outcome of :func:`check_pdf_signature`; see the module docstring for ``problem``.

    The flags follow pyHanko: ``intact`` -- the signed bytes hash to the signed
    digest; ``valid`` -- the CMS signature over the signed attributes verifies
    (it can be True while ``intact`` is False); ``trusted`` -- additionally the
    signer chains to a trusted root and its certificate is usable for signing
    at the validation time; ``timestamped`` -- a signature timestamp token is
    present, verifies and chains to a trusted root.  ``signed_at`` is the
    timestamp's time when ``timestamped``, else the signer's own claim (``/M``),
    in UTC.  ``signer_name`` / ``authority_code`` are the signer certificate's
    CN / OU (reported whenever a signature could be parsed, trusted or not).
    """

    present: bool
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_document: bool
    timestamped: bool
    signer_name: str | None
    authority_code: str | None
    signed_at: datetime | None
    problem: str | None

    @classmethod
    def absent(cls, problem: str | None) -> PdfSignatureReport:
        """A report of no signature checked: every flag false, ``problem`` as given."""
        return cls(
            present=False,
            intact=False,
            valid=False,
            trusted=False,
            covers_whole_document=False,
            timestamped=False,
            signer_name=None,
            authority_code=None,
            signed_at=None,
            problem=problem,
        )

    @property
    def ok(self) -> bool:
        """True iff the seal is present, intact, valid, trusted and covers the whole file."""
        return (
            self.present
            and self.intact
            and self.valid
            and self.trusted
            and self.covers_whole_document
        )


def _refuse_running_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        "crypto.pdf_signature is synchronous; call it via asyncio.to_thread from async code"
    )


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _asn1_key(credential: UnlockedCredential) -> asn1_keys.PrivateKeyInfo:
    der = credential.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return asn1_keys.PrivateKeyInfo.load(der)


def _simple_signer(
    credential: UnlockedCredential, chain: Iterable[asn1_x509.Certificate]
) -> SimpleSigner:
    return SimpleSigner(
        signing_cert=_asn1_certificate(credential.certificate),
        signing_key=_asn1_key(credential),
        cert_registry=SimpleCertificateStore.from_certs(list(chain)),  # type: ignore[no-untyped-call]
        embed_roots=True,
    )


class _LocalTimeStamper(TimeStamper):
    """An RFC 3161 timestamp authority living in this process (ECDSA capable)."""

    def __init__(
        self, credential: UnlockedCredential, chain: Sequence[asn1_x509.Certificate]
    ) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self._tsa_name = _asn1_certificate(credential.certificate).subject
        self._signer = _simple_signer(credential, chain)

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        info = {
            "version": "v1",
            "policy": _TSA_POLICY,
            "message_imprint": req["message_imprint"],
            "serial_number": x509.random_serial_number(),
            "gen_time": datetime.now(UTC).replace(microsecond=0),
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self._tsa_name),
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"]
        content = cms.EncapsulatedContentInfo(
            {
                "content_type": "tst_info",
                "content": cms.ParsableOctetString(tsp.TSTInfo(info).dump()),
            }
        )
        token = await self._signer.async_sign_general_data(content, _DIGEST, detached=False)
        response = tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
        # Hand pyHanko a structure parsed from bytes, as a remote TSA's answer would be.
        return tsp.TimeStampResp.load(response.dump())


def _load_root(root_pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(root_pem)
    except ValueError:
        raise PdfSealError("root_pem is not a PEM X.509 certificate") from None


def seal_pdf(
    pdf: bytes,
    *,
    signer: UnlockedCredential,
    root_pem: bytes,
    timestamper: UnlockedCredential | None = None,
    reason: str = DEFAULT_REASON,
    location: str = "",
    field_name: str = DEFAULT_FIELD_NAME,
) -> bytes:
    """``pdf`` with a PAdES B-B seal by ``signer`` (B-T if ``timestamper`` is given).

    ``signer`` (and ``timestamper``) must be issued by the root in
    ``root_pem``; the root is embedded so validators can build the chain.
    Raises PdfSealError if ``pdf`` is not a readable PDF or the credentials do
    not chain to the root.
    """
    _refuse_running_loop()
    root = _load_root(root_pem)
    for name, credential in (("signer", signer), ("timestamper", timestamper)):
        if credential is not None and not issued_by(credential.certificate, root):
            raise PdfSealError(f"the {name} certificate is not issued by the given root")
    chain = [_asn1_certificate(root)]
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except (PdfError, ValueError, KeyError, IndexError, TypeError):
        raise PdfSealError("input is not a readable PDF") from None
    metadata = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=_DIGEST,
        reason=reason,
        location=location or None,
        subfilter=SigSeedSubFilter.PADES,
        embed_validation_info=False,
        use_pades_lta=False,
    )
    pdf_signer = PdfSigner(
        metadata,
        signer=_simple_signer(signer, chain),
        # The timestamp token carries only the TSA's own certificate (the validator holds the
        # root as its trust anchor, and the seal embeds it anyway). With the root in the
        # token too, asn1crypto re-serialised the nested structures over and over while
        # packaging the signature: 5-15 s per seal at random instead of 40 ms
        # (wbond/asn1crypto#256); measured in bench/harness/documents.py.
        timestamper=None if timestamper is None else _LocalTimeStamper(timestamper, ()),
        new_field_spec=SigFieldSpec(sig_field_name=field_name),  # no box: invisible
    )
    output = pdf_signer.sign_pdf(writer)
    result: bytes = output.getvalue()
    return result


_NOTHING = PdfSignatureReport.absent(None)


def _name_part(certificate: asn1_x509.Certificate, part: str) -> str | None:
    value = certificate.subject.native.get(part)
    if isinstance(value, list):  # multi-valued attribute: take the first
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _summarise(status: PdfSignatureStatus) -> PdfSignatureReport:
    tst = status.timestamp_validity
    timestamped = tst is not None and tst.intact and tst.valid and tst.trusted
    signed_at: datetime | None = tst.timestamp if timestamped and tst is not None else None
    if signed_at is None:
        signed_at = status.signer_reported_dt
    if signed_at is not None:
        signed_at = signed_at.astimezone(UTC)
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    problem: str | None = None
    if not status.intact:
        problem = "modified"
    elif not status.valid:
        problem = "invalid"
    elif not status.trusted:
        problem = "untrusted"
    elif not covers:
        problem = "not_whole_document"
    certificate = status.signing_cert
    return PdfSignatureReport(
        present=True,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        covers_whole_document=covers,
        timestamped=timestamped,
        signer_name=_name_part(certificate, "common_name"),
        authority_code=_name_part(certificate, "organizational_unit_name"),
        signed_at=signed_at,
        problem=problem,
    )


def check_pdf_signature(
    pdf: bytes, *, trusted_roots: Sequence[bytes], validation_time: datetime | None = None
) -> PdfSignatureReport:
    """Validate the first signature in ``pdf`` against ``trusted_roots`` (PEM or DER).

    Certificates are judged at ``validation_time`` (default: now; must be
    timezone-aware).

    Never raises for bad ``pdf`` bytes; see the module docstring for the
    ``problem`` values.  Raises DocumentCaError if a trusted root is not a
    certificate (that is the caller's configuration, not the input).
    """
    _refuse_running_loop()
    moment = None if validation_time is None else require_utc(validation_time, "validation_time")
    roots = []
    for root in trusted_roots:
        try:
            roots.append(_asn1_certificate(_load_any_certificate(root)))
        except ValueError:
            raise DocumentCaError("a trusted root is not an X.509 certificate") from None
    if not isinstance(pdf, bytes | bytearray | memoryview) or not bytes(pdf[:1024]).lstrip(
        b"\x00\t\n\f\r "
    ).startswith(b"%PDF-"):
        return replace(_NOTHING, problem="not_a_pdf")
    try:
        reader = PdfFileReader(io.BytesIO(bytes(pdf)), strict=False)
        signatures = reader.embedded_regular_signatures
    except Exception:  # pyHanko raises many types on hostile input
        _log.debug("unreadable PDF", exc_info=True)
        return replace(_NOTHING, problem="malformed")
    if not signatures:
        return replace(_NOTHING, problem="no_signature")
    context = ValidationContext(trust_roots=roots, allow_fetching=False, moment=moment)
    try:
        status = validate_pdf_signature(signatures[0], signer_validation_context=context)
    except SignatureValidationError:
        _log.debug("signature not validatable", exc_info=True)
        return replace(_NOTHING, present=True, problem="unsupported")
    except Exception:
        _log.debug("signature validation failed", exc_info=True)
        return replace(_NOTHING, present=True, problem="invalid")
    return _summarise(status)


def _load_any_certificate(data: bytes) -> x509.Certificate:
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)
