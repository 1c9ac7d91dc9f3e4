"""The certificate as the documents show it: display-ready values, nothing to look up.

The caller (the issuing service) turns codes into names — level ``ZHONG`` into 中级, the
authority code into the authority's name — and builds the verification URL and check code;
the renderers only lay the values out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

__all__ = [
    "CHINA_TIME",
    "CertificateDocument",
    "chinese_date",
    "detail_rows",
    "verification_prefix",
    "watermark_notice",
]

# Asia/Shanghai has had no daylight saving time since 1991: a fixed offset gives the same
# dates without depending on the tz database being installed.
CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True, kw_only=True)
class CertificateDocument:
    """Every value a rendered certificate shows, already formatted for display.

    ``signed_at`` is an aware datetime (UTC); the documents show its date in Asia/Shanghai.
    ``watermark`` is set for a certificate that is no longer current (已更正, 已撤销).
    """

    holder_name: str
    holder_id_masked: str
    number: str
    level: str
    series: str
    title_name: str
    specialty: str
    way_obtained: str
    approval_document: str
    obtained_on: date
    issued_on: date
    authority_name: str
    review_body: str
    validity_scope: str
    version: int
    cert_id: str
    signed_at: datetime
    verification_url: str
    check_code: str
    photo_jpeg: bytes | None
    watermark: str | None = None

    def __post_init__(self) -> None:
        if self.signed_at.tzinfo is None:
            raise ValueError("signed_at must be timezone-aware (UTC)")

    @property
    def signed_on_china(self) -> date:
        """The signing day in Asia/Shanghai."""
        return self.signed_at.astimezone(CHINA_TIME).date()

    @property
    def signed_at_utc(self) -> datetime:
        return self.signed_at.astimezone(UTC)


def chinese_date(day: date) -> str:
    """``2024年05月06日``."""
    return f"{day.year:04d}年{day.month:02d}月{day.day:02d}日"


def detail_rows(doc: CertificateDocument) -> list[tuple[str, str]]:
    """(label, value) of every field the certificate page lists, in order."""
    return [
        ("姓名", doc.holder_name),
        ("身份证号", doc.holder_id_masked),
        ("证书编号", doc.number),
        ("职称级别", doc.level),
        ("职称系列", doc.series),
        ("职称名称", doc.title_name),
        ("专业", doc.specialty),
        ("取得方式", doc.way_obtained),
        ("审批文号", doc.approval_document),
        ("取得资格时间", chinese_date(doc.obtained_on)),
        ("发证日期", chinese_date(doc.issued_on)),
        ("发证机关", doc.authority_name),
        ("评审机构", doc.review_body),
        ("有效范围", doc.validity_scope),
        ("版本", f"第{doc.version}版"),
        ("签发时间", chinese_date(doc.signed_on_china)),
        ("证书标识", doc.cert_id),
    ]


_WATERMARK_NOTICES = {
    "已撤销": "本证书已撤销，仅供查阅",
    "已更正": "本证书已更正，请以新版本为准",
}


def watermark_notice(watermark: str) -> str:
    """The sentence printed at the top of a watermarked certificate."""
    return _WATERMARK_NOTICES.get(watermark, f"本证书{watermark}，仅供查阅")


def verification_prefix(url: str) -> str:
    """``HTTPS://VERIFY.ECERT.EXAMPLE/V/`` — the part of the URL a person could type."""
    base, marker, _rest = url.partition("/V/")
    return base + marker if marker else url
