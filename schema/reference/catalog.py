"""Reference data of the registry, parsed and checked into frozen dataclasses.

The JSON files in ``data/`` (UTF-8, meant to be edited by hand) each hold
``{"version": int, "entries": [...], "notes": "..."}``:

================================  ===============================================================
levels.json                       5 levels (正高级…员级), their band and system-number digit
series.json                       职称系列, per-level title names, former names (教授级高级工程师)
specialties.json                  评审专业 per series, each list ending with 其他
authorities.json                  审批机关: the municipal bureau, 38 districts/counties, 3 zones,
                                  departments, 重庆建工集团; with the aliases people type
ways_obtained.json                取得方式 (评审, 考试, 考评结合, 初定, 确认, 转评, 自主评审)
validity_scopes.json              有效范围 (全市, …)
batches.json                      known batches (the 2021 Yubei intermediate engineering review)
return_reasons.json               reasons a reviewer returns a registration
revocation_reasons.json           reasons an issued certificate is revoked
correction_fields.json            fields that may be corrected, with the evidence required
================================  ===============================================================

``load_catalog()`` reads them once (cached per directory) and raises ``CatalogError``, naming
the file and entry, on anything malformed: unknown keys, wrong types, duplicate codes, a name
or alias that would resolve to two authorities, references to codes that do not exist.
Nothing is read at import time.

Lookups come in two kinds: ``level(code)``-style methods take our own codes and raise
``UnknownCodeError`` (a bug if it happens); ``resolve_*`` methods take what a person typed — a
code, a name or an alias, in any width or spacing — and return ``None`` when nothing matches.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar

__all__ = [
    "DATA_DIR",
    "Authority",
    "AuthorityKind",
    "Band",
    "Batch",
    "Catalog",
    "CatalogError",
    "CorrectionField",
    "EmployerType",
    "FormerTitle",
    "Level",
    "NamedKind",
    "ReturnReason",
    "ReviewBodyRule",
    "RevocationReason",
    "Series",
    "Specialty",
    "Title",
    "UnknownCodeError",
    "ValidityScope",
    "WayLevelWarning",
    "WayObtained",
    "catalog_from_documents",
    "load_catalog",
    "lookup_key",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

_T = TypeVar("_T")

#: The kinds of entry :meth:`Catalog.name_of` names.
NamedKind = Literal[
    "level",
    "series",
    "way_obtained",
    "authority",
    "validity_scope",
    "batch",
    "return_reason",
    "revocation_reason",
    "correction_field",
]
# … and the index of each, by code.
_NAMED_INDEX: Mapping[str, str] = {
    "level": "_levels",
    "series": "_series",
    "way_obtained": "_ways",
    "authority": "_authorities",
    "validity_scope": "_scopes",
    "batch": "_batches",
    "return_reason": "_return_reasons",
    "revocation_reason": "_revocation_reasons",
    "correction_field": "_correction_fields",
}


class CatalogError(ValueError):
    """The reference data is malformed; the message names the file and the entry."""


class UnknownCodeError(LookupError):
    """A lookup by one of our own codes found nothing (a programming or data error)."""


@lru_cache(maxsize=8192)
def lookup_key(text: str) -> str:
    """(Cached: bulk loads look the same few names up millions of times.)
    The form names are matched in: NFKC (full-width → ASCII), no whitespace, case-folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


# ---------------------------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------------------------


class Band(StrEnum):
    """The three bands of the notice's level selector: 高级 / 中级 / 初级."""

    GAO = "GAO"
    ZHONG = "ZHONG"
    CHU = "CHU"


class AuthorityKind(StrEnum):
    """What sort of body an approving authority is."""

    MUNICIPAL = "MUNICIPAL"
    DISTRICT = "DISTRICT"
    ZONE = "ZONE"
    DEPARTMENT = "DEPARTMENT"
    UNIT = "UNIT"


class ReviewBodyRule(StrEnum):
    """What the 评审机构 field must hold for a way of obtaining a title."""

    COMMITTEE = "COMMITTEE"
    AUTHORITY = "AUTHORITY"
    COMMITTEE_OR_AUTHORITY = "COMMITTEE_OR_AUTHORITY"
    EXAM_AUTHORITY = "EXAM_AUTHORITY"


@dataclass(frozen=True, slots=True)
class Level:
    """A title level (正高级 … 员级)."""

    code: str
    name: str
    band: Band
    band_name: str
    digit: int
    post_grades: str

    @property
    def is_senior(self) -> bool:
        """正高级 and 副高级: the 高级 band, whose approving authority is fixed."""
        return self.band is Band.GAO


@dataclass(frozen=True, slots=True)
class Title:
    """A current title name within a series, at one level."""

    code: str
    name: str
    level: str
    series: str
    verified: bool


@dataclass(frozen=True, slots=True)
class FormerTitle:
    """An old title name still printed on older certificates, mapped to the current title."""

    name: str
    title: str
    level: str
    verified: bool


@dataclass(frozen=True, slots=True)
class Series:
    """A 职称系列 with its titles; ``aliases`` are other names of the series itself."""

    code: str
    name: str
    aliases: tuple[str, ...]
    titles: tuple[Title, ...]
    former_titles: tuple[FormerTitle, ...]
    verified: bool
    code_verified: bool

    def find_title(self, name: str) -> Title | None:
        """The current title of this series with this name (any width/spacing), or ``None``."""
        key = lookup_key(name)
        return next((t for t in self.titles if lookup_key(t.name) == key), None)

    def find_former_title(self, name: str) -> FormerTitle | None:
        """The former title of this series with this name, or ``None``."""
        key = lookup_key(name)
        return next((f for f in self.former_titles if lookup_key(f.name) == key), None)

    def title(self, code: str) -> Title:
        """The title with this code; raises ``UnknownCodeError``."""
        for t in self.titles:
            if t.code == code:
                return t
        raise UnknownCodeError(f"series {self.code} has no title {code!r}")


@dataclass(frozen=True, slots=True)
class Specialty:
    """A review specialty (评审专业名称); ``other`` marks 其他, which needs 本地评审专业."""

    code: str
    name: str
    series: str
    other: bool
    verified: bool


@dataclass(frozen=True, slots=True)
class WayLevelWarning:
    """A level that is allowed for a way of obtaining, but unusual enough to flag."""

    level: str
    message: str


@dataclass(frozen=True, slots=True)
class WayObtained:
    """A way of obtaining a title (取得方式)."""

    code: str
    name: str
    aliases: tuple[str, ...]
    allowed_levels: tuple[str, ...]
    warn_levels: tuple[WayLevelWarning, ...]
    review_body: ReviewBodyRule
    verified: bool


@dataclass(frozen=True, slots=True)
class ValidityScope:
    """A scope of validity (有效范围)."""

    code: str
    name: str
    aliases: tuple[str, ...]
    verified: bool


@dataclass(frozen=True, slots=True)
class Authority:
    """An approving authority (审批机关).

    ``name`` is what is stored as 审批机关; ``display_name`` what the list shows (the municipal
    bureau shows its title office in brackets); ``title_office`` the 职称改革办公室 name, which
    with ``name`` is what 评审机构 must be for 初定/确认.
    """

    code: str
    kind: AuthorityKind
    name: str
    display_name: str
    short_name: str | None
    title_office: str | None
    division_code: str | None
    division_kind: str | None
    aliases: tuple[str, ...]
    levels: tuple[str, ...]
    fixed_for_senior: bool
    document_issuers: tuple[str, ...]
    verified: bool
    note: str | None

    @property
    def names(self) -> tuple[str, ...]:
        """Every string that designates this authority: code, names and aliases."""
        optional = (self.short_name, self.title_office, self.division_code)
        return (
            self.code,
            self.name,
            self.display_name,
            *(n for n in optional if n),
            *self.aliases,
        )

    @property
    def review_body_names(self) -> tuple[str, ...]:
        """The formal names accepted as 评审机构 for a title it determined or confirmed."""
        return (self.name, self.title_office) if self.title_office else (self.name,)


@dataclass(frozen=True, slots=True)
class EmployerType:
    """One employer type of a batch, with the approval document that covers it."""

    code: str
    name: str
    approval_document: str


@dataclass(frozen=True, slots=True)
class Batch:
    """A known batch: every field a registration from it must carry."""

    code: str
    name: str
    series: Series
    level: Level
    way_obtained: WayObtained
    review_body: str
    obtained_on: date
    issued_on: date
    authority: Authority
    validity_scope: ValidityScope
    employer_types: tuple[EmployerType, ...]
    verified: bool

    def find_employer_type(self, text: str) -> EmployerType | None:
        """The employer type by code or Chinese name (事业单位, 区属国有企业, 非公企业)."""
        key = lookup_key(text)
        return next(
            (e for e in self.employer_types if key in (lookup_key(e.code), lookup_key(e.name))),
            None,
        )


@dataclass(frozen=True, slots=True)
class ReturnReason:
    """A reason a reviewer returns a registration; ``field`` is the API field it points at."""

    code: str
    name: str
    description: str
    field: str | None
    requires_comment: bool


@dataclass(frozen=True, slots=True)
class RevocationReason:
    """A category of revocation of an issued certificate."""

    code: str
    name: str
    description: str
    requires_comment: bool


@dataclass(frozen=True, slots=True)
class CorrectionField:
    """A field that may be corrected on an issued certificate, and the evidence it needs."""

    field: str
    name: str
    evidence: str


# ---------------------------------------------------------------------------------------------
# The catalog
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Catalog:
    """All reference data, with lookups. Build it with ``load_catalog()``.

    The series are in ``series_list`` because ``series(code)`` is the lookup.
    Constructing a ``Catalog`` checks cross-references and uniqueness (``CatalogError``).
    """

    levels: tuple[Level, ...]
    series_list: tuple[Series, ...]
    specialties: tuple[Specialty, ...]
    authorities: tuple[Authority, ...]
    ways_obtained: tuple[WayObtained, ...]
    validity_scopes: tuple[ValidityScope, ...]
    batches: tuple[Batch, ...]
    return_reasons: tuple[ReturnReason, ...]
    revocation_reasons: tuple[RevocationReason, ...]
    correction_fields: tuple[CorrectionField, ...]
    versions: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    _levels: Mapping[str, Level] = field(init=False, repr=False)
    _series: Mapping[str, Series] = field(init=False, repr=False)
    _titles: Mapping[str, Title] = field(init=False, repr=False)
    _specialties: Mapping[str, tuple[Specialty, ...]] = field(init=False, repr=False)
    _authorities: Mapping[str, Authority] = field(init=False, repr=False)
    _ways: Mapping[str, WayObtained] = field(init=False, repr=False)
    _scopes: Mapping[str, ValidityScope] = field(init=False, repr=False)
    _batches: Mapping[str, Batch] = field(init=False, repr=False)
    _return_reasons: Mapping[str, ReturnReason] = field(init=False, repr=False)
    _revocation_reasons: Mapping[str, RevocationReason] = field(init=False, repr=False)
    _correction_fields: Mapping[str, CorrectionField] = field(init=False, repr=False)
    # lookup_key(code / name / alias) → entry, for what people type
    _level_keys: Mapping[str, Level] = field(init=False, repr=False)
    _series_keys: Mapping[str, Series] = field(init=False, repr=False)
    _authority_keys: Mapping[str, Authority] = field(init=False, repr=False)
    _way_keys: Mapping[str, WayObtained] = field(init=False, repr=False)
    _scope_keys: Mapping[str, ValidityScope] = field(init=False, repr=False)
    _issuers: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        def index(items: Iterable[_T], code: Callable[[_T], str], what: str) -> dict[str, _T]:
            out: dict[str, _T] = {}
            for item in items:
                if code(item) in out:
                    raise CatalogError(f"{what}: duplicate code {code(item)!r}")
                out[code(item)] = item
            return out

        levels = index(self.levels, lambda x: x.code, "levels")
        series = index(self.series_list, lambda x: x.code, "series")
        titles = index((t for s in self.series_list for t in s.titles), lambda t: t.code, "titles")
        authorities = index(self.authorities, lambda a: a.code, "authorities")
        ways = index(self.ways_obtained, lambda w: w.code, "ways_obtained")
        scopes = index(self.validity_scopes, lambda v: v.code, "validity_scopes")
        batches = index(self.batches, lambda b: b.code, "batches")
        return_reasons = index(self.return_reasons, lambda r: r.code, "return_reasons")
        revocations = index(self.revocation_reasons, lambda r: r.code, "revocation_reasons")
        corrections = index(self.correction_fields, lambda c: c.field, "correction_fields")
        index(self.specialties, lambda s: s.code, "specialties")
        index(self.levels, lambda x: str(x.digit), "levels (digit)")

        _check_series(self.series_list, levels)
        specialties = _check_specialties(self.specialties, series)
        _check_authorities(self.authorities, levels)
        _check_ways(self.ways_obtained, levels)
        _check_batches(self.batches)

        # An issuer code must point at one authority, like a name does.
        _key_index(self.authorities, lambda a: a.document_issuers, "authorities (document_issuers)")
        for name, value in (
            ("_levels", levels),
            ("_series", series),
            ("_titles", titles),
            ("_specialties", specialties),
            ("_authorities", authorities),
            ("_ways", ways),
            ("_scopes", scopes),
            ("_batches", batches),
            ("_return_reasons", return_reasons),
            ("_revocation_reasons", revocations),
            ("_correction_fields", corrections),
            ("_level_keys", _key_index(self.levels, lambda x: (x.code, x.name), "levels")),
            (
                "_series_keys",
                _key_index(self.series_list, lambda s: (s.code, s.name, *s.aliases), "series"),
            ),
            ("_authority_keys", _key_index(self.authorities, lambda a: a.names, "authorities")),
            (
                "_way_keys",
                _key_index(
                    self.ways_obtained, lambda w: (w.code, w.name, *w.aliases), "ways_obtained"
                ),
            ),
            (
                "_scope_keys",
                _key_index(
                    self.validity_scopes,
                    lambda v: (v.code, v.name, *v.aliases),
                    "validity_scopes",
                ),
            ),
        ):
            object.__setattr__(self, name, MappingProxyType(value))
        object.__setattr__(
            self, "_issuers", frozenset(i for a in self.authorities for i in a.document_issuers)
        )

    # --- levels, series, titles ---------------------------------------------------------------

    def level(self, code: str) -> Level:
        """The level with this code (ZHENG_GAO, FU_GAO, ZHONG, ZHULI, YUAN)."""
        return _get(self._levels, code, "level")

    def resolve_level(self, text: str) -> Level | None:
        """A level by code or Chinese name (副高级); ``None`` if nothing matches."""
        return self._level_keys.get(lookup_key(text))

    def series(self, code: str) -> Series:
        """The series with this code ("05")."""
        return _get(self._series, code, "series")

    def resolve_series(self, text: str) -> Series | None:
        """A series by code, name or alias (工程技术人员, 工程技术, 工程)."""
        return self._series_keys.get(lookup_key(text))

    def title(self, code: str) -> Title:
        """A title by its code ("0502" 高级工程师), in any series."""
        return _get(self._titles, code, "title")

    def series_with_title(self, name: str) -> tuple[Series, ...]:
        """The series that have a current or former title of this name (for hints)."""
        return tuple(
            s
            for s in self.series_list
            if s.find_title(name) is not None or s.find_former_title(name) is not None
        )

    # --- specialties -------------------------------------------------------------------------

    def specialties_for(self, series_code: str) -> tuple[Specialty, ...]:
        """The dropdown for a series, 其他 last."""
        self.series(series_code)
        return self._specialties[series_code]

    def specialty(self, series_code: str, text: str) -> Specialty | None:
        """A specialty of this series by code or name; ``None`` if it is not in the list."""
        key = lookup_key(text)
        return next(
            (
                s
                for s in self.specialties_for(series_code)
                if key in (lookup_key(s.code), lookup_key(s.name))
            ),
            None,
        )

    # --- authorities -------------------------------------------------------------------------

    def authority(self, code: str) -> Authority:
        """The authority with this code (MUNICIPAL, a GB/T 2260 district code, DEPT_EDU, …)."""
        return _get(self._authorities, code, "authority")

    def resolve_authority(self, text: str) -> Authority | None:
        """An authority by code, name, short name, title office or alias.

        A leading 重庆市 is optional for names that are listed without it
        (重庆市渝北区人力资源和社会保障局 → 渝北区人力资源和社会保障局).
        """
        key = lookup_key(text)
        found = self._authority_keys.get(key)
        if found is None and key.startswith("重庆市"):
            found = self._authority_keys.get(key.removeprefix("重庆市"))
        return found

    @property
    def municipal_authority(self) -> Authority:
        """The one authority fixed for senior titles (重庆市人力资源和社会保障局)."""
        return next(a for a in self.authorities if a.fixed_for_senior)

    @property
    def document_issuers(self) -> frozenset[str]:
        """Every known 发文机关代字 (渝北职改办, 渝职改办, …)."""
        return self._issuers

    # --- ways, scopes, batches, reasons ------------------------------------------------------

    def way(self, code: str) -> WayObtained:
        """The way of obtaining with this code (PS, KS, KP, CD, QR, ZP, ZZ)."""
        return _get(self._ways, code, "way obtained")

    def resolve_way(self, text: str) -> WayObtained | None:
        """A way of obtaining by code, name or alias (评审, 初定, 来渝确认, …)."""
        return self._way_keys.get(lookup_key(text))

    def validity_scope(self, code: str) -> ValidityScope:
        """The validity scope with this code (CITY = 全市, …)."""
        return _get(self._scopes, code, "validity scope")

    def resolve_validity_scope(self, text: str) -> ValidityScope | None:
        """A validity scope by code, name or alias."""
        return self._scope_keys.get(lookup_key(text))

    def batch(self, code: str) -> Batch:
        """The known batch with this code (YUBEI_ENG_ZHONG_2021)."""
        return _get(self._batches, code, "batch")

    def batch_for_approval_document(self, normalized: str) -> tuple[Batch, EmployerType] | None:
        """The batch and employer type whose approval document is this canonical number."""
        key = lookup_key(normalized)
        for b in self.batches:
            for e in b.employer_types:
                if lookup_key(e.approval_document) == key:
                    return b, e
        return None

    def return_reason(self, code: str) -> ReturnReason:
        """A reviewer's return reason by code."""
        return _get(self._return_reasons, code, "return reason")

    def revocation_reason(self, code: str) -> RevocationReason:
        """A revocation reason by code."""
        return _get(self._revocation_reasons, code, "revocation reason")

    def correction_field(self, field_name: str) -> CorrectionField:
        """A correctable field by its API name (approvalDocument, …)."""
        return _get(self._correction_fields, field_name, "correction field")

    # --- names for display -------------------------------------------------------------------

    def name_of(self, kind: NamedKind, code: str | None) -> str | None:
        """The Chinese name of the ``kind`` entry with this code, for display.

        Stored records outlive reference entries: a code the catalog no longer has is shown
        as the code itself (never an error). ``None`` when there is no code.
        """
        if not code:
            return None
        entry = getattr(self, _NAMED_INDEX[kind]).get(code)
        return str(entry.name) if entry is not None else code

    def specialty_name(self, series_code: str | None, text: str | None) -> str | None:
        """The listed name of a specialty as stored (code or name) in this series; the stored
        text itself when it is not listed (or the series is unknown); ``None`` for none."""
        if not text:
            return None
        if series_code and series_code in self._series:
            found = self.specialty(series_code, text)
            if found is not None:
                return found.name
        return text


def _get(mapping: Mapping[str, _T], code: str, what: str) -> _T:
    try:
        return mapping[code]
    except KeyError:
        raise UnknownCodeError(f"unknown {what} code {code!r}") from None


def _key_index(
    items: Iterable[_T], names: Callable[[_T], Iterable[str]], what: str
) -> dict[str, _T]:
    # A key may repeat within one item (name == alias after normalisation) but never across two:
    # otherwise a typed name would resolve to whichever entry happened to come last.
    out: dict[str, _T] = {}
    for item in items:
        for name in names(item):
            key = lookup_key(name)
            if not key:
                raise CatalogError(f"{what}: empty name or alias")
            other = out.setdefault(key, item)
            if other is not item:
                raise CatalogError(
                    f"{what}: {name!r} designates both {_label(other)} and {_label(item)}"
                )
    return out


def _label(item: object) -> str:
    return str(getattr(item, "code", item))


def _check_series(series: Iterable[Series], levels: Mapping[str, Level]) -> None:
    for s in series:
        names: set[str] = set()
        for t in s.titles:
            if t.level not in levels:
                raise CatalogError(f"series {s.code}: title {t.name} has unknown level {t.level}")
            if lookup_key(t.name) in names:
                raise CatalogError(f"series {s.code}: title name {t.name!r} repeated")
            names.add(lookup_key(t.name))
        for f in s.former_titles:
            target = next((t for t in s.titles if t.code == f.title), None)
            if target is None:
                raise CatalogError(f"series {s.code}: former title {f.name} → unknown {f.title}")
            if f.level != target.level:
                raise CatalogError(
                    f"series {s.code}: former title {f.name} says {f.level}, "
                    f"but {target.name} is {target.level}"
                )
            if lookup_key(f.name) in names:
                raise CatalogError(f"series {s.code}: former title {f.name!r} is a current name")


def _check_specialties(
    specialties: Iterable[Specialty], series: Mapping[str, Series]
) -> dict[str, tuple[Specialty, ...]]:
    grouped: dict[str, list[Specialty]] = {code: [] for code in series}
    for sp in specialties:
        if sp.series not in grouped:
            raise CatalogError(f"specialties: {sp.code} names unknown series {sp.series}")
        if any(lookup_key(o.name) == lookup_key(sp.name) for o in grouped[sp.series]):
            raise CatalogError(f"specialties: {sp.name!r} repeated in series {sp.series}")
        grouped[sp.series].append(sp)
    for code, items in grouped.items():
        if sum(sp.other for sp in items) != 1:
            raise CatalogError(f"specialties: series {code} needs exactly one 其他 (other: true)")
    return {code: tuple(items) for code, items in grouped.items()}


def _check_authorities(authorities: Sequence[Authority], levels: Mapping[str, Level]) -> None:
    fixed = [a for a in authorities if a.fixed_for_senior]
    if len(fixed) != 1 or fixed[0].kind is not AuthorityKind.MUNICIPAL:
        raise CatalogError("authorities: exactly one MUNICIPAL authority must be fixed_for_senior")
    for a in authorities:
        unknown = [lv for lv in a.levels if lv not in levels]
        if unknown or not a.levels:
            raise CatalogError(f"authorities: {a.code} has bad levels {list(a.levels)}")
        if a.kind is AuthorityKind.DISTRICT and not a.division_code:
            raise CatalogError(f"authorities: district {a.code} needs a division_code")


def _check_ways(ways: Iterable[WayObtained], levels: Mapping[str, Level]) -> None:
    for w in ways:
        if not w.allowed_levels or any(lv not in levels for lv in w.allowed_levels):
            raise CatalogError(f"ways_obtained: {w.code} has bad allowed_levels")
        if any(x.level not in w.allowed_levels for x in w.warn_levels):
            raise CatalogError(f"ways_obtained: {w.code} warns on a level it does not allow")


def _check_batches(batches: Iterable[Batch]) -> None:
    for b in batches:
        if b.obtained_on > b.issued_on:
            raise CatalogError(f"batches: {b.code} is obtained after it is issued")
        if b.level.code not in b.authority.levels:
            raise CatalogError(f"batches: {b.code}: {b.authority.name} does not approve its level")
        if not b.employer_types:
            raise CatalogError(f"batches: {b.code} has no employer types")


# ---------------------------------------------------------------------------------------------
# Reading the files
# ---------------------------------------------------------------------------------------------

_FILES = (
    "levels.json",
    "series.json",
    "specialties.json",
    "authorities.json",
    "ways_obtained.json",
    "validity_scopes.json",
    "batches.json",
    "return_reasons.json",
    "revocation_reasons.json",
    "correction_fields.json",
)


class _Obj:
    """A JSON object being read: typed getters, and a check that no key was left unread."""

    def __init__(self, raw: object, where: str) -> None:
        if not isinstance(raw, dict):
            raise CatalogError(f"{where}: expected an object")
        self._raw: dict[str, object] = raw
        self._where = where
        self._read: set[str] = set()

    def _take(self, key: str, kinds: tuple[type, ...], *, optional: bool) -> Any:
        self._read.add(key)
        if key not in self._raw or self._raw[key] is None:
            if optional:
                return None
            raise CatalogError(f"{self._where}: missing {key!r}")
        value = self._raw[key]
        # bool is an int subclass; a stray true must not pass as a number (and vice versa).
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = "/".join(k.__name__ for k in kinds)
            raise CatalogError(f"{self._where}: {key!r} should be {names}, got {value!r}")
        return value

    def text(self, key: str) -> str:
        value: str = self._take(key, (str,), optional=False)
        if not value.strip():
            raise CatalogError(f"{self._where}: {key!r} is empty")
        return value

    def opt_text(self, key: str) -> str | None:
        value: str | None = self._take(key, (str,), optional=True)
        return value if value and value.strip() else None

    def integer(self, key: str) -> int:
        value: int = self._take(key, (int,), optional=False)
        return value

    def flag(self, key: str, default: bool | None = None) -> bool:
        value: bool | None = self._take(key, (bool,), optional=default is not None)
        if value is None:
            assert default is not None  # _take only returns None when a default exists
            return default
        return value

    def day(self, key: str) -> date:
        value = self.text(key)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CatalogError(f"{self._where}: {key!r} is not a YYYY-MM-DD date") from None

    def texts(self, key: str, *, optional: bool = False) -> tuple[str, ...]:
        values: list[object] | None = self._take(key, (list,), optional=optional)
        if values is None:
            return ()
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise CatalogError(f"{self._where}: {key!r} should be a list of non-empty strings")
        return tuple(str(v) for v in values)

    def objects(self, key: str) -> list[_Obj]:
        values: list[object] = self._take(key, (list,), optional=False)
        return [_Obj(v, f"{self._where}.{key}[{i}]") for i, v in enumerate(values)]

    def done(self) -> None:
        extra = sorted(set(self._raw) - self._read)
        if extra:
            raise CatalogError(f"{self._where}: unknown key(s) {extra}")


def load_catalog(data_dir: Path | str | None = None) -> Catalog:
    """Read, check and return the catalog in ``data_dir`` (default: the packaged data).

    Cached per directory: call it wherever a catalog is needed. Raises ``CatalogError``.
    """
    return _load_cached(Path(data_dir).resolve() if data_dir is not None else DATA_DIR)


@lru_cache(maxsize=8)
def _load_cached(data_dir: Path) -> Catalog:
    documents: dict[str, object] = {}
    for name in _FILES:
        path = data_dir / name
        # A file's own problems name the file; cross-file problems name the directory.
        try:
            documents[name.removesuffix(".json")] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CatalogError(f"{name}: file missing in {data_dir}") from None
        except json.JSONDecodeError as exc:
            raise CatalogError(f"{name}: not valid JSON ({exc})") from None
    try:
        return catalog_from_documents(documents)
    except CatalogError as exc:
        raise CatalogError(str(exc).replace("reference data:", f"{data_dir}:", 1)) from None


def catalog_from_documents(documents: Mapping[str, object]) -> Catalog:
    """Build and check a catalog from parsed documents keyed by kind (the file stem, e.g.
    ``"authorities"``), each ``{"version": int, "entries": [...]}``. The database-backed
    catalog (file entries plus admin additions) is built through here."""
    files: dict[str, list[_Obj]] = {}
    versions: dict[str, int] = {}
    for name in _FILES:
        kind = name.removesuffix(".json")
        if kind not in documents:
            raise CatalogError(f"{name}: missing")
        top = _Obj(documents[kind], name)
        version = top.integer("version")
        if version < 1:
            raise CatalogError(f"{name}: 'version' must be a positive integer")
        top.opt_text("notes")
        files[name] = top.objects("entries")
        top.done()
        versions[name] = version

    levels = _each(files["levels.json"], _level)
    level_codes = {lv.code: lv for lv in levels}
    series = _each(files["series.json"], _series)
    specialties = _each(files["specialties.json"], _specialty)
    authorities = _each(files["authorities.json"], _authority)
    ways = _each(files["ways_obtained.json"], _way)
    scopes = _each(files["validity_scopes.json"], _scope)
    refs = _BatchRefs(
        series={s.code: s for s in series},
        levels=level_codes,
        ways={w.code: w for w in ways},
        authorities={a.code: a for a in authorities},
        scopes={v.code: v for v in scopes},
    )
    batches = _each(files["batches.json"], refs.batch)
    try:
        return Catalog(
            levels=levels,
            series_list=series,
            specialties=specialties,
            authorities=authorities,
            ways_obtained=ways,
            validity_scopes=scopes,
            batches=batches,
            return_reasons=_each(files["return_reasons.json"], _return_reason),
            revocation_reasons=_each(files["revocation_reasons.json"], _revocation_reason),
            correction_fields=_each(files["correction_fields.json"], _correction_field),
            versions=MappingProxyType(versions),
        )
    except CatalogError as exc:
        raise CatalogError(f"reference data: {exc}") from None


def _each(objs: list[_Obj], build: Callable[[_Obj], _T]) -> tuple[_T, ...]:
    out = []
    for o in objs:
        out.append(build(o))
        o.done()
    return tuple(out)


def _enum(o: _Obj, key: str, kind: type[StrEnum]) -> Any:
    value = o.text(key)
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise CatalogError(f"{o._where}: {key!r} must be one of {allowed}; got {value!r}") from None


def _level(o: _Obj) -> Level:
    digit = o.integer("digit")
    if not 1 <= digit <= 9:
        raise CatalogError(f"{o._where}: 'digit' must be a single digit 1..9")
    return Level(
        code=o.text("code"),
        name=o.text("name"),
        band=_enum(o, "band", Band),
        band_name=o.text("band_name"),
        digit=digit,
        post_grades=o.text("post_grades"),
    )


def _series(o: _Obj) -> Series:
    code = o.text("code")
    verified = o.flag("verified")
    titles = []
    for t in o.objects("titles"):
        titles.append(
            Title(
                code=t.text("code"),
                name=t.text("name"),
                level=t.text("level"),
                series=code,
                verified=t.flag("verified", default=verified),
            )
        )
        t.done()
    former = []
    for f in o.objects("former_titles"):
        former.append(
            FormerTitle(
                name=f.text("name"),
                title=f.text("title"),
                level=f.text("level"),
                verified=f.flag("verified"),
            )
        )
        f.done()
    return Series(
        code=code,
        name=o.text("name"),
        aliases=o.texts("aliases"),
        titles=tuple(titles),
        former_titles=tuple(former),
        verified=verified,
        code_verified=o.flag("code_verified"),
    )


def _specialty(o: _Obj) -> Specialty:
    return Specialty(
        code=o.text("code"),
        name=o.text("name"),
        series=o.text("series"),
        other=o.flag("other", default=False),
        verified=o.flag("verified"),
    )


def _authority(o: _Obj) -> Authority:
    name = o.text("name")
    return Authority(
        code=o.text("code"),
        kind=_enum(o, "kind", AuthorityKind),
        name=name,
        display_name=o.opt_text("display_name") or name,
        short_name=o.opt_text("short_name"),
        title_office=o.opt_text("title_office"),
        division_code=o.opt_text("division_code"),
        division_kind=o.opt_text("division_kind"),
        aliases=o.texts("aliases"),
        levels=o.texts("levels"),
        fixed_for_senior=o.flag("fixed_for_senior"),
        document_issuers=o.texts("document_issuers", optional=True),
        verified=o.flag("verified"),
        note=o.opt_text("note"),
    )


def _way(o: _Obj) -> WayObtained:
    warns = []
    for w in o.objects("warn_levels"):
        warns.append(WayLevelWarning(level=w.text("level"), message=w.text("message")))
        w.done()
    return WayObtained(
        code=o.text("code"),
        name=o.text("name"),
        aliases=o.texts("aliases"),
        allowed_levels=o.texts("allowed_levels"),
        warn_levels=tuple(warns),
        review_body=_enum(o, "review_body", ReviewBodyRule),
        verified=o.flag("verified"),
    )


def _scope(o: _Obj) -> ValidityScope:
    return ValidityScope(
        code=o.text("code"),
        name=o.text("name"),
        aliases=o.texts("aliases"),
        verified=o.flag("verified"),
    )


@dataclass(frozen=True)
class _BatchRefs:
    series: Mapping[str, Series]
    levels: Mapping[str, Level]
    ways: Mapping[str, WayObtained]
    authorities: Mapping[str, Authority]
    scopes: Mapping[str, ValidityScope]

    def batch(self, o: _Obj) -> Batch:
        employer_types = []
        for e in o.objects("employer_types"):
            employer_types.append(
                EmployerType(
                    code=e.text("code"),
                    name=e.text("name"),
                    approval_document=e.text("approval_document"),
                )
            )
            e.done()
        return Batch(
            code=o.text("code"),
            name=o.text("name"),
            series=self._ref(o, "series", self.series),
            level=self._ref(o, "level", self.levels),
            way_obtained=self._ref(o, "way_obtained", self.ways),
            review_body=o.text("review_body"),
            obtained_on=o.day("obtained_on"),
            issued_on=o.day("issued_on"),
            authority=self._ref(o, "authority", self.authorities),
            validity_scope=self._ref(o, "validity_scope", self.scopes),
            employer_types=tuple(employer_types),
            verified=o.flag("verified"),
        )

    @staticmethod
    def _ref(o: _Obj, key: str, table: Mapping[str, _T]) -> _T:
        code = o.text(key)
        if code not in table:
            raise CatalogError(f"{o._where}: {key!r} refers to unknown code {code!r}")
        return table[code]


def _return_reason(o: _Obj) -> ReturnReason:
    return ReturnReason(
        code=o.text("code"),
        name=o.text("name"),
        description=o.text("description"),
        field=o.opt_text("field"),
        requires_comment=o.flag("requires_comment"),
    )


def _revocation_reason(o: _Obj) -> RevocationReason:
    return RevocationReason(
        code=o.text("code"),
        name=o.text("name"),
        description=o.text("description"),
        requires_comment=o.flag("requires_comment"),
    )


def _correction_field(o: _Obj) -> CorrectionField:
    return CorrectionField(field=o.text("field"), name=o.text("name"), evidence=o.text("evidence"))
