"""The certificate rendered as documents: an A4 PDF, a phone-sized PNG card, a QR label.

Pure functions of a :class:`CertificateDocument` (display-ready values); no database, no
web. Text is set in the Noto CJK fonts (Debian ``fonts-noto-cjk``); without them the
renderers raise :class:`FontMissing`, and :func:`check_fonts` tells a startup check so.
"""

from schema.documents.card_png import render_card_png
from schema.documents.certificate_pdf import render_certificate_pdf
from schema.documents.fonts import FontMissing, check_fonts
from schema.documents.model import CertificateDocument
from schema.documents.qr_label import render_qr_label_png

__all__ = [
    "CertificateDocument",
    "FontMissing",
    "check_fonts",
    "render_card_png",
    "render_certificate_pdf",
    "render_qr_label_png",
]
