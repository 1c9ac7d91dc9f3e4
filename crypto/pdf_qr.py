"""The QR code printed on a certificate PDF: render the first page, decode the code.

Used by the document check on the server (``schema.services.document_verification``) and
by the offline verifier (``ecert verify FILE.pdf``), so both read the very same code.

The page is rendered with PDFium (``pypdfium2``, bundled: no system library) at 200 dpi
and decoded with zxing-cpp, as photos of the code are (``crypto.offline``). Only the first
page is looked at (the certificate is one A4 page), and hostile input is bounded: a
document with more than :data:`MAX_PAGES` pages is refused, and a page is never rendered
larger than :data:`MAX_PIXELS` pixels (a huge page is rendered at a lower resolution).

PDFium is not thread-safe: every call into it holds one process-wide lock. The functions
here are synchronous and CPU-bound; from async code call them in a worker thread.
"""

from __future__ import annotations

import enum
import threading
from typing import TYPE_CHECKING

from crypto.errors import QRDecodeError

if TYPE_CHECKING:
    from PIL import Image

# PDFium, zxing-cpp and Pillow are imported where a document is read, not at import: a
# web worker that never checks an uploaded PDF does not carry them (issue 10, idle memory).

__all__ = ["MAX_PAGES", "MAX_PIXELS", "PdfQrError", "PdfQrProblem", "decode_pdf_qr"]

MAX_PAGES = 20
MAX_PIXELS = 6_000_000  # A4 at 200 dpi is 1654 × 2339 ≈ 3.9 million
_DPI = 200
_PDFIUM = threading.Lock()


class PdfQrProblem(enum.Enum):
    """Why no single QR code was read from the document."""

    UNREADABLE = "unreadable"  # PDFium cannot open the document or render its first page
    TOO_MANY_PAGES = "too_many_pages"
    NO_QR = "no_qr"
    SEVERAL_QR = "several_qr"  # which one is the certificate's? (ambiguous: refused)


class PdfQrError(QRDecodeError):
    """No single QR code could be read from the PDF; ``problem`` says why."""

    def __init__(self, problem: PdfQrProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def _render_first_page(pdf: bytes) -> Image.Image:
    import pypdfium2  # type: ignore[import-untyped]

    with _PDFIUM:
        try:
            document = pypdfium2.PdfDocument(pdf)
        except (pypdfium2.PdfiumError, ValueError, OSError):
            raise PdfQrError(PdfQrProblem.UNREADABLE, "not a readable PDF") from None
        try:
            pages = len(document)
            if pages > MAX_PAGES:
                raise PdfQrError(
                    PdfQrProblem.TOO_MANY_PAGES, f"{pages} pages (at most {MAX_PAGES})"
                )
            if pages < 1:
                raise PdfQrError(PdfQrProblem.UNREADABLE, "the PDF has no page")
            try:
                page = document[0]
                width, height = page.get_size()
                scale = _DPI / 72
                area = max(width, 1.0) * max(height, 1.0) * scale * scale
                if area > MAX_PIXELS:
                    scale *= (MAX_PIXELS / area) ** 0.5
                image: Image.Image = page.render(scale=scale).to_pil()
            except (pypdfium2.PdfiumError, ValueError, OSError, MemoryError):
                raise PdfQrError(PdfQrProblem.UNREADABLE, "cannot render page 1") from None
            return image
        finally:
            document.close()


def decode_pdf_qr(pdf: bytes) -> str:
    """The text of the one QR code on the first page of ``pdf``.

    Raises :class:`PdfQrError` (a ``QRDecodeError``) when the document cannot be read, has
    too many pages, or its first page holds no QR code or several different ones.
    """
    import zxingcpp

    grey = _render_first_page(bytes(pdf)).convert("L")
    results = zxingcpp.read_barcodes(
        grey,
        formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        text_mode=zxingcpp.TextMode.Plain,
    )
    texts = {r.text for r in results if r.valid}
    if not texts:
        raise PdfQrError(PdfQrProblem.NO_QR, "no QR code on the first page")
    if len(texts) > 1:
        raise PdfQrError(PdfQrProblem.SEVERAL_QR, "more than one QR code on the first page")
    return texts.pop()
