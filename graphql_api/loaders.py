"""Per-request DataLoaders: one query per kind of related record, not one per item.

Built for every request (never module-level: their cache would leak across users).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from schema.models import Certificate

__all__ = ["Loaders"]


async def _certificates_by_id(ids: Sequence[int]) -> list[Certificate | None]:
    rows = {c.id: c for c in await Certificate.filter(id__in=list(ids))}
    return [rows.get(i) for i in ids]


async def _certificates_by_registration(ids: Sequence[int]) -> list[list[Certificate]]:
    grouped: dict[int, list[Certificate]] = defaultdict(list)
    for cert in await Certificate.filter(registration_id__in=list(ids)).order_by("version"):
        grouped[cert.registration_id].append(cert)
    return [grouped.get(i, []) for i in ids]


@dataclass
class Loaders:
    certificate: DataLoader[int, Certificate | None] = field(
        default_factory=lambda: DataLoader(load_fn=_certificates_by_id)
    )
    certificates_of_registration: DataLoader[int, list[Certificate]] = field(
        default_factory=lambda: DataLoader(load_fn=_certificates_by_registration)
    )
