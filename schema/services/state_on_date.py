"""Was it valid on day D? A certificate's state at the end of a day, from the audit trail.

The audit trail (hash-chained, ``schema.audit_chain``) records every event of every
certificate version under its ``cert_id``: issued, revoked, reinstated, superseded by a
correction or re-issued under a new key. Replaying a version's events up to an instant gives
its state at that instant; nothing else is read, so a later change of the row (a
reinstatement, a correction) never rewrites what was true on D.

The day is a Beijing calendar day (UTC+8, the authorities' day): the state at the end of D is
the state just before 00:00 of the next day there. For a certificate *number* the answer is
the lineage's: the newest version issued by then, replayed (a correction keeps the number).
For a scanned QR code it is that very version's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone

from schema.enums import AuditAction, StateOnDate
from schema.models import AuditRecord

__all__ = [
    "BEIJING",
    "end_of_day",
    "group_by_lineage",
    "lineage_state_on",
    "version_states_on",
]

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
_EFFECT = {
    AuditAction.CERTIFICATE_ISSUED.value: StateOnDate.VALID,
    AuditAction.CERTIFICATE_REINSTATED.value: StateOnDate.VALID,
    AuditAction.CERTIFICATE_REVOKED.value: StateOnDate.REVOKED,
    AuditAction.CERTIFICATE_SUPERSEDED.value: StateOnDate.SUPERSEDED,
    AuditAction.CERTIFICATE_REISSUED.value: StateOnDate.SUPERSEDED,
}


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` in Beijing (events strictly before it count)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=BEIJING)


async def version_states_on(cert_ids: Iterable[str], *, day: date) -> dict[str, StateOnDate]:
    """Each version's state at the end of ``day``: its events replayed in the chain's order
    (``NOT_ISSUED`` for a version with no event by then). One query for all of them."""
    wanted = sorted(set(cert_ids))
    states = dict.fromkeys(wanted, StateOnDate.NOT_ISSUED)
    if not wanted:
        return states
    rows = (
        await AuditRecord.filter(
            entity_type="certificate",
            entity_id__in=wanted,
            action__in=list(_EFFECT),
            at__lt=end_of_day(day),
        )
        .order_by("id")
        .values_list("entity_id", "action")
    )
    for cert_id, action in rows:
        states[str(cert_id)] = _EFFECT[str(action)]
    return states


def lineage_state_on(
    versions: Mapping[str, int], states: Mapping[str, StateOnDate]
) -> tuple[str | None, StateOnDate]:
    """The lineage's answer from its versions' states (``versions``: cert_id → version):
    the newest version issued by then and its state; ``(None, NOT_ISSUED)`` when none was."""
    issued = [
        (version, cert_id)
        for cert_id, version in versions.items()
        if states.get(cert_id, StateOnDate.NOT_ISSUED) is not StateOnDate.NOT_ISSUED
    ]
    if not issued:
        return None, StateOnDate.NOT_ISSUED
    _, newest = max(issued)
    return newest, states[newest]


def group_by_lineage(rows: Iterable[tuple[str, str, int]]) -> dict[str, dict[str, int]]:
    """(cert_id, lineage_id, version) rows → lineage_id → {cert_id: version}."""
    lineages: dict[str, dict[str, int]] = defaultdict(dict)
    for cert_id, lineage_id, version in rows:
        lineages[lineage_id][cert_id] = version
    return dict(lineages)
