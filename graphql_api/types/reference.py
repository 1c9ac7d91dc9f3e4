"""Reference data output types, built from the catalog (``schema.reference.catalog``).

``ReferenceType`` (GraphQL ``Reference``) is the whole registration form's data in one object:
the root ``reference`` query and the admin mutation's payload both return it. Its list fields
take optional filters; every filter accepts a code, a name or an alias, as people type them.
"""

from __future__ import annotations

import hashlib
import weakref
from datetime import date
from enum import StrEnum

import strawberry

from schema.reference.catalog import (
    Authority,
    AuthorityKind,
    Band,
    Batch,
    Catalog,
    Level,
    ReviewBodyRule,
    Series,
    lookup_key,
)

__all__ = [
    "REFERENCE_LIST_SIZES",
    "AuthorityKindEnum",
    "AuthorityType",
    "BandEnum",
    "ReferenceType",
    "ReviewBodyRuleEnum",
    "catalog_revision",
]

#: How many items each reference list holds, at most, for the query cost estimate
#: (graphql_api.query_cost): these lists are not paged, so the default guess of 10 would let
#: aliases of the full form through cheaply. The reference data today has 30 series (up to 21
#: titles in one, about 6 on average), 131 specialties, 65 authorities, 18 return reasons;
#: the bounds leave room for entries admins add.
REFERENCE_LIST_SIZES: dict[str, int] = {
    "Reference.levels": 5,
    "Reference.bands": 3,
    "LevelBand.levels": 3,
    "Reference.series": 40,
    "Series.aliases": 3,
    "Series.formerTitles": 4,
    "Series.titles": 8,
    "Reference.specialties": 200,
    "Reference.authorities": 80,
    "Authority.aliases": 4,
    "Authority.levels": 3,
    "Authority.reviewBodyNames": 4,
    "Authority.documentIssuers": 3,
    "Reference.reviewBodies": 20,
    "ReviewBody.levels": 3,
    "Reference.waysObtained": 8,
    "WayObtained.aliases": 4,
    "WayObtained.allowedLevels": 5,
    "WayObtained.warnLevels": 5,
    "Reference.validityScopes": 6,
    "ValidityScope.aliases": 3,
    "Reference.batches": 5,
    "Batch.employerTypes": 5,
    "Reference.returnReasons": 24,
    "Reference.revocationReasons": 10,
    "Reference.correctionFields": 16,
}

# strawberry.enum registers the domain enum itself and returns it; each *Enum name is an
# alias of the domain enum, which type checkers accept in annotations.
strawberry.enum(Band, name="Band", description="职称档次: 高级 / 中级 / 初级.")
BandEnum = Band
strawberry.enum(
    AuthorityKind, name="AuthorityKind", description="What sort of body an approving authority is."
)
AuthorityKindEnum = AuthorityKind
strawberry.enum(
    ReviewBodyRule,
    name="ReviewBodyRule",
    description="What 评审机构 must hold for a way of obtaining: COMMITTEE (the committee in "
    "the approval document), AUTHORITY (the approving authority: Authority.reviewBodyName), "
    "COMMITTEE_OR_AUTHORITY, EXAM_AUTHORITY (the exam body, free text).",
)
ReviewBodyRuleEnum = ReviewBodyRule


class ReviewBodySource(StrEnum):
    BATCH = "BATCH"
    NOTICE_EXAMPLE = "NOTICE_EXAMPLE"


strawberry.enum(
    ReviewBodySource,
    name="ReviewBodySource",
    description="Where a committee name comes from: a known batch, or an example in the notice.",
)
ReviewBodySourceEnum = ReviewBodySource

# The catalog has no list of review committees. Suggestions are the committees of the known
# batches plus the committees the notice itself names as examples: (name, series, band).
_NOTICE_COMMITTEES: tuple[tuple[str, str, Band], ...] = (
    ("重庆市工程技术中级职务渝北区评审委员会", "05", Band.ZHONG),
    ("重庆市卫生技术（内科）高级职称评审委员会", "04", Band.GAO),
)


# --------------------------------------------------------------------------- revision

_revisions: weakref.WeakKeyDictionary[Catalog, str] = weakref.WeakKeyDictionary()


def catalog_revision(catalog: Catalog) -> str:
    """A digest of the catalog's versions and contents: changes whenever the data changes.

    Stable across processes (it hashes the entries' reprs, in stored order); memoised per
    catalog object, which ``current_catalog()`` only rebuilds when the rows change.
    """
    revision = _revisions.get(catalog)
    if revision is None:
        revision = hashlib.sha256(repr(catalog).encode("utf-8")).hexdigest()[:20]
        _revisions[catalog] = revision
    return revision


# ------------------------------------------------------------------------------ types


@strawberry.type(name="Level", description="职称级别 (正高级 … 员级).")
class LevelType:
    code: str = strawberry.field(description="ZHENG_GAO, FU_GAO, ZHONG, ZHULI, YUAN.")
    name: str
    band: BandEnum
    band_name: str = strawberry.field(description="高级 / 中级 / 初级.")
    digit: int = strawberry.field(description="The level digit of system certificate numbers.")
    post_grades: str = strawberry.field(description="事业单位岗位等级, e.g. 8-10.")
    is_senior: bool = strawberry.field(
        description="高级: the approving authority is fixed to the municipal bureau."
    )

    @classmethod
    def of(cls, level: Level) -> LevelType:
        return cls(
            code=level.code,
            name=level.name,
            band=level.band,
            band_name=level.band_name,
            digit=level.digit,
            post_grades=level.post_grades,
            is_senior=level.is_senior,
        )


@strawberry.type(name="LevelBand", description="A band of the level selector with its levels.")
class LevelBandType:
    band: BandEnum
    name: str = strawberry.field(description="高级 / 中级 / 初级.")
    levels: list[LevelType]


@strawberry.type(name="Title", description="A current title name of a series at one level.")
class TitleType:
    code: str
    name: str
    level: LevelType
    series_code: str
    verified: bool


@strawberry.type(
    name="FormerTitle",
    description="An old title name on older certificates (教授级高级工程师), mapped to the "
    "current title.",
)
class FormerTitleType:
    name: str
    title: TitleType
    level: LevelType
    verified: bool


@strawberry.type(name="Series", description="职称系列 with its titles per level.")
class SeriesType:
    code: str
    name: str
    aliases: list[str] = strawberry.field(description="Other names of the series itself.")
    former_titles: list[FormerTitleType]
    verified: bool
    code_verified: bool
    all_titles: strawberry.Private[list[TitleType]]

    @strawberry.field(description="Its titles; `level` (code or name) keeps one level's.")
    def titles(self, level: str | None = None) -> list[TitleType]:
        if level is None:
            return self.all_titles
        key = lookup_key(level)
        return [
            t
            for t in self.all_titles
            if key in (lookup_key(t.level.code), lookup_key(t.level.name))
        ]

    @classmethod
    def of(cls, series: Series, catalog: Catalog) -> SeriesType:
        titles = {
            t.code: TitleType(
                code=t.code,
                name=t.name,
                level=LevelType.of(catalog.level(t.level)),
                series_code=series.code,
                verified=t.verified,
            )
            for t in series.titles
        }
        return cls(
            code=series.code,
            name=series.name,
            aliases=list(series.aliases),
            former_titles=[
                FormerTitleType(
                    name=f.name,
                    title=titles[f.title],
                    level=LevelType.of(catalog.level(f.level)),
                    verified=f.verified,
                )
                for f in series.former_titles
            ],
            verified=series.verified,
            code_verified=series.code_verified,
            all_titles=list(titles.values()),
        )


@strawberry.type(name="Specialty", description="评审专业名称.")
class SpecialtyType:
    code: str
    name: str
    series_code: str
    is_other: bool = strawberry.field(description="其他: 本地评审专业 must then be filled in.")
    verified: bool


@strawberry.type(name="Authority", description="审批机关.")
class AuthorityType:
    code: str = strawberry.field(
        description="MUNICIPAL, a GB/T 2260 district code (500112), a zone or department code."
    )
    kind: AuthorityKindEnum
    name: str = strawberry.field(description="What is stored as 审批机关.")
    display_name: str = strawberry.field(description="What the list shows.")
    short_name: str | None
    title_office: str | None = strawberry.field(description="Its 职称改革办公室, if any.")
    division_code: str | None
    division_kind: str | None = strawberry.field(description="区 / 县 / 自治县.")
    aliases: list[str] = strawberry.field(description="What people type (渝北区职改办 …).")
    levels: list[LevelType] = strawberry.field(description="The levels it approves.")
    fixed_for_senior: bool = strawberry.field(
        description="The one authority of every 高级 title (the municipal bureau)."
    )
    review_body_name: str = strawberry.field(
        description="What to fill in as 评审机构 for a title it determined (初定) or confirmed "
        "(确认)."
    )
    review_body_names: list[str] = strawberry.field(
        description="Every name accepted as 评审机构 for 初定/确认."
    )
    document_issuers: list[str] = strawberry.field(
        description="发文机关代字 on its approval documents (渝北职改办 …)."
    )
    verified: bool
    note: str | None

    @classmethod
    def of(cls, a: Authority, catalog: Catalog) -> AuthorityType:
        # The rules (schema.rules.review_body) accept only the title office for senior titles.
        accepted = (a.title_office or a.name,) if a.fixed_for_senior else a.review_body_names
        return cls(
            code=a.code,
            kind=a.kind,
            name=a.name,
            display_name=a.display_name,
            short_name=a.short_name,
            title_office=a.title_office,
            division_code=a.division_code,
            division_kind=a.division_kind,
            aliases=list(a.aliases),
            levels=[LevelType.of(catalog.level(code)) for code in a.levels],
            fixed_for_senior=a.fixed_for_senior,
            review_body_name=accepted[0],
            review_body_names=list(accepted),
            document_issuers=list(a.document_issuers),
            verified=a.verified,
            note=a.note,
        )


@strawberry.type(
    name="ReviewBody",
    description="A suggested 评审委员会 (for 评审/转评/考评结合). For 初定/确认 the review body "
    "is the approving authority: see Authority.reviewBodyName.",
)
class ReviewBodyType:
    name: str
    series_code: str
    levels: list[LevelType]
    source: ReviewBodySourceEnum
    batch_code: str | None = strawberry.field(description="The known batch it comes from.")


@strawberry.type(name="WayLevelWarning", description="An allowed but unusual level.")
class WayLevelWarningType:
    level: LevelType
    message: str


@strawberry.type(name="WayObtained", description="取得方式 (评审, 初定, 确认, …).")
class WayObtainedType:
    code: str
    name: str
    aliases: list[str]
    allowed_levels: list[LevelType]
    warn_levels: list[WayLevelWarningType]
    review_body: ReviewBodyRuleEnum
    verified: bool


@strawberry.type(name="ValidityScope", description="有效范围 (全市, …).")
class ValidityScopeType:
    code: str
    name: str
    aliases: list[str]
    verified: bool


@strawberry.type(name="EmployerType", description="An employer type of a batch.")
class EmployerTypeType:
    code: str
    name: str = strawberry.field(description="事业单位, 区属国有企业, 非公企业 …")
    approval_document: str = strawberry.field(description="The 批准文号 that covers it.")


@strawberry.type(name="Batch", description="A known batch: the values its registrations carry.")
class BatchType:
    code: str
    name: str
    series: SeriesType
    level: LevelType
    way_obtained: WayObtainedType
    review_body: str
    obtained_on: date
    issued_on: date
    authority: AuthorityType
    validity_scope: ValidityScopeType
    employer_types: list[EmployerTypeType]
    verified: bool


@strawberry.type(name="ReturnReason", description="Why a reviewer returns a registration.")
class ReturnReasonType:
    code: str
    name: str
    description: str
    field: str | None = strawberry.field(description="The API field it points at, if one.")
    requires_comment: bool


@strawberry.type(name="RevocationReason", description="Why an issued certificate is revoked.")
class RevocationReasonType:
    code: str
    name: str
    description: str
    requires_comment: bool


@strawberry.type(
    name="CorrectionField", description="A correctable certificate field and its evidence."
)
class CorrectionFieldType:
    field: str = strawberry.field(description="The API field name (approvalDocument, …).")
    name: str
    evidence: str


# -------------------------------------------------------------------------- Reference


def _level(catalog: Catalog, code: str) -> LevelType:
    return LevelType.of(catalog.level(code))


def _way(catalog: Catalog, code: str) -> WayObtainedType:
    w = catalog.way(code)
    return WayObtainedType(
        code=w.code,
        name=w.name,
        aliases=list(w.aliases),
        allowed_levels=[_level(catalog, lv) for lv in w.allowed_levels],
        warn_levels=[
            WayLevelWarningType(level=_level(catalog, x.level), message=x.message)
            for x in w.warn_levels
        ],
        review_body=w.review_body,
        verified=w.verified,
    )


def _scope(catalog: Catalog, code: str) -> ValidityScopeType:
    v = catalog.validity_scope(code)
    return ValidityScopeType(code=v.code, name=v.name, aliases=list(v.aliases), verified=v.verified)


def _batch(b: Batch, catalog: Catalog) -> BatchType:
    return BatchType(
        code=b.code,
        name=b.name,
        series=SeriesType.of(b.series, catalog),
        level=LevelType.of(b.level),
        way_obtained=_way(catalog, b.way_obtained.code),
        review_body=b.review_body,
        obtained_on=b.obtained_on,
        issued_on=b.issued_on,
        authority=AuthorityType.of(b.authority, catalog),
        validity_scope=_scope(catalog, b.validity_scope.code),
        employer_types=[
            EmployerTypeType(code=e.code, name=e.name, approval_document=e.approval_document)
            for e in b.employer_types
        ],
        verified=b.verified,
    )


def _matches(names: tuple[str, ...], text: str) -> bool:
    key = lookup_key(text)
    keys = {key, key.removeprefix("重庆市") or key}
    return any(k in lookup_key(n) for n in names for k in keys)


@strawberry.type(
    name="Reference",
    description="All reference data of the registration form, in one query. Public. Over GET "
    "(when the operation reads only `reference`) it is cacheable: Cache-Control and an ETag "
    "equal to `revision`.",
)
class ReferenceType:
    catalog: strawberry.Private[Catalog]

    @classmethod
    def of(cls, catalog: Catalog) -> ReferenceType:
        return cls(catalog=catalog)

    @strawberry.field(description="Changes whenever the reference data changes (the ETag).")
    def revision(self) -> str:
        return catalog_revision(self.catalog)

    @strawberry.field(description="职称级别, 正高级 first.")
    def levels(self) -> list[LevelType]:
        return [LevelType.of(lv) for lv in self.catalog.levels]

    @strawberry.field(description="The level selector: 高级 / 中级 / 初级, each with its levels.")
    def bands(self) -> list[LevelBandType]:
        grouped: dict[Band, LevelBandType] = {}
        for lv in self.catalog.levels:
            band = grouped.setdefault(
                lv.band, LevelBandType(band=lv.band, name=lv.band_name, levels=[])
            )
            band.levels.append(LevelType.of(lv))
        return list(grouped.values())

    @strawberry.field(description="职称系列 with their titles per level and former names.")
    def series(self) -> list[SeriesType]:
        return [SeriesType.of(s, self.catalog) for s in self.catalog.series_list]

    @strawberry.field(
        description="评审专业, each series' list ending with 其他. `series`: a code, name or "
        "alias (05, 工程技术); unknown → empty."
    )
    def specialties(self, series: str | None = None) -> list[SpecialtyType]:
        if series is None:
            items = self.catalog.specialties
        else:
            found = self.catalog.resolve_series(series)
            items = self.catalog.specialties_for(found.code) if found else ()
        return [
            SpecialtyType(
                code=s.code,
                name=s.name,
                series_code=s.series,
                is_other=s.other,
                verified=s.verified,
            )
            for s in items
        ]

    @strawberry.field(
        description="审批机关. `level` (code or name): those approving that level (高级: the "
        "municipal bureau only); `search`: part of a name, short name or alias; `kind`."
    )
    def authorities(
        self,
        level: str | None = None,
        search: str | None = None,
        kind: AuthorityKindEnum | None = None,
    ) -> list[AuthorityType]:
        items = self.catalog.authorities
        if level is not None:
            lv = self.catalog.resolve_level(level)
            items = tuple(a for a in items if lv is not None and lv.code in a.levels)
        if search is not None and search.strip():
            items = tuple(a for a in items if _matches(a.names, search))
        if kind is not None:
            items = tuple(a for a in items if a.kind is kind)
        return [AuthorityType.of(a, self.catalog) for a in items]

    @strawberry.field(
        description="The authority a typed name designates (code, name, short name, title "
        "office or alias, e.g. 渝北区职改办), or null."
    )
    def resolve_authority(self, text: str) -> AuthorityType | None:
        found = self.catalog.resolve_authority(text)
        return AuthorityType.of(found, self.catalog) if found else None

    @strawberry.field(
        description="Suggested 评审委员会 names: the committees of the known batches and the "
        "notice's examples (there is no full list), filtered by `series` and `level` (code, "
        "name or alias)."
    )
    def review_bodies(
        self, series: str | None = None, level: str | None = None
    ) -> list[ReviewBodyType]:
        catalog = self.catalog
        found: list[ReviewBodyType] = [
            ReviewBodyType(
                name=b.review_body,
                series_code=b.series.code,
                levels=[LevelType.of(b.level)],
                source=ReviewBodySource.BATCH,
                batch_code=b.code,
            )
            for b in catalog.batches
        ]
        known = {lookup_key(r.name) for r in found}
        for name, series_code, band in _NOTICE_COMMITTEES:
            if lookup_key(name) not in known:
                known.add(lookup_key(name))
                found.append(
                    ReviewBodyType(
                        name=name,
                        series_code=series_code,
                        levels=[LevelType.of(lv) for lv in catalog.levels if lv.band is band],
                        source=ReviewBodySource.NOTICE_EXAMPLE,
                        batch_code=None,
                    )
                )
        if series is not None:
            s = catalog.resolve_series(series)
            found = [r for r in found if s is not None and r.series_code == s.code]
        if level is not None:
            lv = catalog.resolve_level(level)
            found = [r for r in found if lv is not None and lv.code in {x.code for x in r.levels}]
        return found

    @strawberry.field(description="取得方式 (评审, 考试, 考评结合, 初定, 确认, 转评, 自主评审).")
    def ways_obtained(self) -> list[WayObtainedType]:
        return [_way(self.catalog, w.code) for w in self.catalog.ways_obtained]

    @strawberry.field(description="有效范围 (全市, …).")
    def validity_scopes(self) -> list[ValidityScopeType]:
        return [_scope(self.catalog, v.code) for v in self.catalog.validity_scopes]

    @strawberry.field(description="Known batches, with their employer types and documents.")
    def batches(self) -> list[BatchType]:
        return [_batch(b, self.catalog) for b in self.catalog.batches]

    @strawberry.field(description="Reasons a reviewer may return a registration.")
    def return_reasons(self) -> list[ReturnReasonType]:
        return [
            ReturnReasonType(
                code=r.code,
                name=r.name,
                description=r.description,
                field=r.field,
                requires_comment=r.requires_comment,
            )
            for r in self.catalog.return_reasons
        ]

    @strawberry.field(description="Reasons an issued certificate may be revoked.")
    def revocation_reasons(self) -> list[RevocationReasonType]:
        return [
            RevocationReasonType(
                code=r.code,
                name=r.name,
                description=r.description,
                requires_comment=r.requires_comment,
            )
            for r in self.catalog.revocation_reasons
        ]

    @strawberry.field(description="Certificate fields that may be corrected, with the evidence.")
    def correction_fields(self) -> list[CorrectionFieldType]:
        return [
            CorrectionFieldType(field=c.field, name=c.name, evidence=c.evidence)
            for c in self.catalog.correction_fields
        ]
