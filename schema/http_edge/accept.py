"""The ``Accept`` request header (RFC 9110 §12.5.1): one parser for every endpoint.

Two questions are asked of it, and they differ on purpose:

* :meth:`Accept.quality` — how much the client accepts a media type, wildcards included:
  the most specific matching range decides (``text/html`` over ``text/*`` over ``*/*``).
* :meth:`Accept.named` — the quality the client gave a media type *by name*, wildcards
  ignored. Media types that only some clients understand (``application/graphql-response+json``,
  the verification page's JSON) are answered only when asked for by name: ``*/*`` from curl
  or a browser means "the usual thing".

A ``q`` outside 0..1 is clamped; an unreadable ``q`` counts as 0 (not acceptable).
Media types compare case-insensitively; parameters other than ``q`` are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Accept", "MediaRange"]


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One item of the header: ``type/subtype``, ``type/*`` or ``*/*``, lower-cased."""

    media_type: str
    quality: float


def _parse_quality(value: str) -> float:
    try:
        return min(max(float(value), 0.0), 1.0)
    except ValueError:
        return 0.0


@dataclass(frozen=True, slots=True)
class Accept:
    """A parsed ``Accept`` header. Falsy when the header is absent or blank."""

    ranges: tuple[MediaRange, ...] = ()

    @classmethod
    def parse(cls, header: str | None) -> Accept:
        ranges = []
        for item in (header or "").split(","):
            media, *params = (part.strip() for part in item.split(";"))
            if not media:
                continue
            quality = 1.0
            for param in params:
                key, _, value = param.partition("=")
                if key.strip().lower() == "q":
                    quality = _parse_quality(value.strip())
            ranges.append(MediaRange(media.lower(), quality))
        return cls(tuple(ranges))

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def _listed(self, media_range: str) -> float | None:
        qualities = [r.quality for r in self.ranges if r.media_type == media_range]
        return max(qualities) if qualities else None

    def named(self, media_type: str) -> float:
        """The quality given to ``media_type`` by name (0.0 when it is not listed)."""
        return self._listed(media_type.lower()) or 0.0

    def quality(self, media_type: str) -> float:
        """The quality of ``media_type``: the most specific matching range decides."""
        media_type = media_type.lower()
        main = media_type.split("/", 1)[0]
        for candidate in (media_type, f"{main}/*", "*/*"):
            found = self._listed(candidate)
            if found is not None:
                return found
        return 0.0
