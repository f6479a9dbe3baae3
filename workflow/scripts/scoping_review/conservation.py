"""Conservation of records at every stage boundary: nothing is lost, nothing is invented.

At each boundary the things that go in must all come out, each exactly once, as one of:
passed on, rejected, merged (duplicate), excluded or pending. The checks compare *ID sets*,
not just numbers, so two offsetting mistakes (one record lost, another counted twice) cannot
cancel out. They read the assembled counts ledger (the numbers the report shows) and the stage
tables (the data behind them), and the ledger rule fails the run when one does not hold.

Boundaries checked:

``01_import``  record starts in each file = parsed + rejected (``files``); records identified
               = records table + rejects, and each search's part is disjoint.
``02_dedupe``  imported records = one representative per study + duplicates merged; every
               record sits in exactly one study.
``03_screen``  studies = screened + removed by automation; screened = excluded + pending +
               sought; sought = not retrieved + assessed; assessed = excluded + pending +
               included; every study has exactly one final status.
``04_extract`` included studies = charted + missing a charting row.
``05_codes``   segments read = ok + unknown document + not included + unknown code; codes
               applied = kept + dropped.
``06_themes``  every kept code is in exactly one theme.

A review starts with its searches: the boundaries of optional stages that have not started
(no charting sheet, no coded segments in config) pass nothing on and are not checked
(``not_started``; charting: ``04_extract``, coding: ``05_codes`` and ``06_themes``).

All functions are pure: frames and plain values in, a list of problems out.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import polars as pl


class ConservationError(ValueError):
    """Records were lost or double-counted at a stage boundary; the message says where."""


@dataclass(frozen=True)
class Partition:
    """``whole`` must be the disjoint union of ``parts`` (all ledger count IDs).

    ``as_study`` lists the terms whose IDs are record IDs to be mapped to their study before
    comparing (the PRISMA flow counts records before full text and reports after it).
    """

    boundary: str
    whole: str
    parts: tuple[str, ...]
    as_study: tuple[str, ...] = ()


PARTITIONS: tuple[Partition, ...] = (
    Partition(
        "03_screen",
        "records_screened",
        ("records_excluded", "dbr_sought_reports"),
        as_study=("records_screened", "records_excluded"),
    ),
    Partition(
        "03_screen",
        "dbr_sought_reports",
        ("dbr_notretrieved_reports", "dbr_pending", "dbr_assessed"),
    ),
    Partition("03_screen", "dbr_assessed", ("dbr_excluded", "new_reports")),
    Partition("04_extract", "new_studies", ("chart.rows", "chart.missing")),
    Partition(
        "05_codes",
        "segments.total",
        (
            "segments.ok",
            "segments.unknown_document",
            "segments.not_included",
            "segments.unknown_code",
        ),
    ),
    Partition("05_codes", "codes_codebook", ("codes_kept", "codes_dropped")),
)

FINAL_STATUSES = (
    "included",
    "excluded_title_abstract",
    "excluded_full_text",
    "not_retrieved",
    "excluded_automatic",
    "pending",
)


IDs = Sequence[str] | pl.Series  # a count's IDs: a ledger row's list, or any sequence of them


def _series(ids: IDs) -> pl.Series:
    """``ids`` as a String series (no copy when it is one)."""
    if isinstance(ids, pl.Series):
        return ids if ids.dtype == pl.String else ids.cast(pl.String)
    return pl.Series(list(ids), dtype=pl.String)


def ledger_ids(ledger: pl.DataFrame) -> dict[str, pl.Series]:
    """``{count_id: ids}`` for the counts of things in an assembled ledger (each a series of
    the ledger row's list, with no Python string per ID)."""
    things = ledger.filter(pl.col("id_kind") != "none")
    return dict(zip(things["count_id"].to_list(), things["ids"], strict=True))


def _repeated(ids: IDs) -> list[str]:
    """The IDs ``ids`` holds more than once, sorted."""
    s = _series(ids)
    return s.filter(s.is_duplicated()).unique().sort().to_list()


def _sample(ids: IDs, n: int = 5) -> str:
    s = _series(ids).unique()
    items = s.sort().head(n).to_list()
    more = f" and {s.len() - n} more" if s.len() > n else ""
    return f"{items}{more}"


def _minus(a: pl.Series, b: pl.Series) -> pl.Series:
    """The distinct IDs of ``a`` that ``b`` lacks."""
    return a.filter(~a.is_in(b.implode())).unique()


def _same_set(a: pl.Series, b: pl.Series) -> bool:
    return not _minus(a, b).len() and not _minus(b, a).len()


def partition_problems(
    boundary: str,
    whole_name: str,
    whole: IDs,
    parts: Mapping[str, IDs],
) -> list[str]:
    """Messages for every way ``parts`` fail to be a partition of ``whole`` (empty if none)."""
    problems: list[str] = []
    where = f"{boundary}: {whole_name} = {' + '.join(parts)}"
    whole_s = _series(whole)
    named = [_series(ids) for ids in parts.values()]
    members = pl.concat(named) if named else pl.Series(dtype=pl.String)
    if dup := _repeated(members):
        owners = {
            i: [name for name, ids in zip(parts, named, strict=True) if ids.is_in([i]).any()]
            for i in dup[:3]
        }
        problems.append(f"{where}: {len(dup)} IDs counted more than once, e.g. {owners}")
    if (lost := _minus(whole_s, members)).len():
        problems.append(
            f"{where}: {lost.len()} IDs in {whole_name} are in no part: {_sample(lost)}"
        )
    if (extra := _minus(members, whole_s)).len():
        problems.append(
            f"{where}: {extra.len()} IDs in the parts are not in {whole_name}: {_sample(extra)}"
        )
    return problems


RecordToStudy = Mapping[str, str] | pl.DataFrame  # a mapping, or a frame (record_id, study_id)


def _study_map(record_to_study: RecordToStudy) -> pl.DataFrame:
    """(record_id, study_id), one row per record (the last, as a dict of the rows would)."""
    if isinstance(record_to_study, pl.DataFrame):
        frame = record_to_study.select("record_id", "study_id")
    else:
        frame = pl.DataFrame(
            {"record_id": list(record_to_study), "study_id": list(record_to_study.values())},
            schema={"record_id": pl.String, "study_id": pl.String},
        )
    return frame.unique("record_id", keep="last")


def _as_studies(ids: IDs, study_map: pl.DataFrame) -> pl.Series:
    """Each record ID's study, or ``<unknown record ID>`` (one per ID, in order)."""
    frame = pl.DataFrame({"record_id": _series(ids)})
    return frame.join(study_map, on="record_id", how="left", maintain_order="left").select(
        pl.col("study_id").fill_null(pl.format("<unknown record {}>", "record_id"))
    )["study_id"]


def check_partitions(
    ids: Mapping[str, IDs],
    record_to_study: RecordToStudy,
    partitions: Sequence[Partition] = PARTITIONS,
) -> list[str]:
    """Every declared :class:`Partition` over the ledger's ID lists."""
    problems: list[str] = []
    study_map = _study_map(record_to_study)
    for p in partitions:
        needed = (p.whole, *p.parts)
        if missing := [n for n in needed if n not in ids]:
            problems.append(f"{p.boundary}: ledger lacks {missing} needed to check {p.whole}")
            continue

        def term(name: str, p: Partition = p) -> IDs:
            return _as_studies(ids[name], study_map) if name in p.as_study else ids[name]

        problems += partition_problems(
            p.boundary, p.whole, term(p.whole), {n: term(n) for n in p.parts}
        )
    return problems


def check_import(
    ids: Mapping[str, IDs],
    files: pl.DataFrame,
    records: pl.DataFrame,
    rejects: pl.DataFrame,
    searches: Sequence[str],
) -> list[str]:
    """01_import: files reconcile, and records identified = parsed records + rejects."""
    problems: list[str] = []
    for path, n_raw, n_parsed, n_rejected in files.select(
        "path", "n_raw", "n_parsed", "n_rejected"
    ).rows():
        if n_raw != n_parsed + n_rejected:
            problems.append(
                f"01_import: {path}: {n_raw} record starts but {n_parsed} parsed + "
                f"{n_rejected} rejected"
            )
    if (parsed := int(files["n_parsed"].sum())) != records.height:
        problems.append(f"01_import: files say {parsed} parsed, records table has {records.height}")
    if (rejected := int(files["n_rejected"].sum())) != rejects.height:
        problems.append(
            f"01_import: files say {rejected} rejected, rejects table has {rejects.height}"
        )
    for name in ("database_results", "excluded_other"):
        if name not in ids:
            problems.append(f"01_import: ledger lacks {name!r}")
            return problems
    identified, other = ids["database_results"], ids["excluded_other"]
    problems += partition_problems(
        "01_import",
        "database_results",
        identified,
        {"records": records["record_id"], "excluded_other": other},
    )
    if len(other) != rejects.height:
        problems.append(
            f"01_import: excluded_other lists {len(other)} records, rejects table has "
            f"{rejects.height}"
        )
    by_search = {f"database_results.{s}": ids.get(f"database_results.{s}", ()) for s in searches}
    problems += partition_problems("01_import", "database_results", identified, by_search)
    return problems


def check_dedupe(
    ids: Mapping[str, IDs],
    records: pl.DataFrame,
    clusters: pl.DataFrame,
    studies: pl.DataFrame,
) -> list[str]:
    """02_dedupe: records = representatives + duplicates; one representative per study."""
    problems: list[str] = []
    imported = records["record_id"]
    if dup := _repeated(clusters["record_id"]):
        problems.append(f"02_dedupe: records in more than one cluster row: {_sample(dup)}")
    representatives = clusters.filter(pl.col("is_representative"))
    per_study = representatives.group_by("study_id").len()
    if bad := per_study.filter(pl.col("len") != 1)["study_id"].to_list():
        problems.append(f"02_dedupe: studies with more than one representative: {_sample(bad)}")
    clustered_studies = clusters["study_id"].unique()
    if (without := _minus(clustered_studies, representatives["study_id"])).len():
        problems.append(f"02_dedupe: studies without a representative: {_sample(without)}")
    if "duplicates" not in ids:
        return [*problems, "02_dedupe: ledger lacks 'duplicates'"]
    problems += partition_problems(
        "02_dedupe",
        "imported records",
        imported,
        {
            "representatives": representatives["record_id"],
            "duplicates": ids["duplicates"],
        },
    )
    study_table = studies["study_id"]
    only_studies = _minus(study_table, clustered_studies)
    only_clusters = _minus(clustered_studies, study_table)
    if only_studies.len() or only_clusters.len():
        problems.append(
            "02_dedupe: studies table and clusters disagree on the studies: "
            f"only in studies {_sample(only_studies)}, "
            f"only in clusters {_sample(only_clusters)}"
        )
    if "dedupe.studies" in ids and not _same_set(_series(ids["dedupe.studies"]), study_table):
        problems.append("02_dedupe: ledger 'dedupe.studies' is not the studies table")
    return problems


def check_screen(
    ids: Mapping[str, IDs],
    studies: pl.DataFrame,
    status: pl.DataFrame,
    record_to_study: RecordToStudy,
) -> list[str]:
    """03_screen: every study screened or removed by automation, with one final status."""
    problems: list[str] = []
    in_studies = studies["study_id"]
    problems += partition_problems(
        "03_screen", "studies", in_studies, {"status rows": status["study_id"]}
    )
    unknown = status.filter(
        pl.col("final").is_null() | ~pl.col("final").is_in(list(FINAL_STATUSES))
    )
    if unknown.height:
        problems.append(
            f"03_screen: {unknown.height} studies without a known final status "
            f"{FINAL_STATUSES}: {_sample(unknown['study_id'])}"
        )
    needed = ("records_screened", "records_pending", "excluded_automatic", "new_studies")
    if missing := [n for n in needed if n not in ids]:
        return [*problems, f"03_screen: ledger lacks {missing}"]
    study_map = _study_map(record_to_study)
    problems += partition_problems(
        "03_screen",
        "studies",
        in_studies,
        {
            name: _as_studies(ids[name], study_map)
            for name in ("records_screened", "records_pending", "excluded_automatic")
        },
    )
    included = status.filter(pl.col("final") == "included")["study_id"]
    if not included.sort().equals(_series(ids["new_studies"]).sort()):
        problems.append("03_screen: ledger 'new_studies' is not the studies with final=included")
    return problems


def check_themes(ids: Mapping[str, IDs]) -> list[str]:
    """06_themes: every kept code is in exactly one theme."""
    if "codes_kept" not in ids:
        return ["06_themes: ledger lacks 'codes_kept'"]
    parts = {
        name: v
        for name, v in sorted(ids.items())
        if name.startswith("theme.") and name.endswith(".n_codes")
    }
    return partition_problems("06_themes", "codes_kept", ids["codes_kept"], parts)


@dataclass(frozen=True)
class StageTables:
    """The stage tables the checks compare the ledger against."""

    files: pl.DataFrame
    records: pl.DataFrame
    rejects: pl.DataFrame
    clusters: pl.DataFrame
    studies: pl.DataFrame
    status: pl.DataFrame


# the columns of each stage table the checks read (the ledger rule reads no others)
COLUMNS: dict[str, tuple[str, ...]] = {
    "files": ("path", "n_raw", "n_parsed", "n_rejected"),
    "records": ("record_id",),
    "rejects": ("file", "line"),
    "clusters": ("record_id", "study_id", "is_representative"),
    "studies": ("study_id",),
    "status": ("study_id", "final"),
}


# optional stage (as the workflow names it) -> the boundaries it owns
STAGE_BOUNDARIES: dict[str, tuple[str, ...]] = {
    "charting": ("04_extract",),
    "coding": ("05_codes", "06_themes"),
}


def skipped_boundaries(started: Mapping[str, bool]) -> tuple[str, ...]:
    """Boundaries of the optional stages ``started`` marks as not started."""
    return tuple(
        b
        for stage, bounds in STAGE_BOUNDARIES.items()
        if not started.get(stage, True)
        for b in bounds
    )


def conservation_problems(
    ledger: pl.DataFrame,
    tables: StageTables,
    searches: Sequence[str],
    not_started: Collection[str] = (),
) -> list[str]:
    """Every conservation problem across the stage boundaries (empty when all hold).

    ``not_started`` names boundaries of stages without inputs yet, which are skipped."""
    ids = ledger_ids(ledger)
    record_to_study = tables.clusters.select("record_id", "study_id")
    return [
        *check_import(ids, tables.files, tables.records, tables.rejects, searches),
        *check_dedupe(ids, tables.records, tables.clusters, tables.studies),
        *check_screen(ids, tables.studies, tables.status, record_to_study),
        *check_partitions(
            ids, record_to_study, [p for p in PARTITIONS if p.boundary not in not_started]
        ),
        *([] if "06_themes" in not_started else check_themes(ids)),
    ]


def check(
    ledger: pl.DataFrame,
    tables: StageTables,
    searches: Sequence[str],
    not_started: Collection[str] = (),
) -> None:
    """Raise :class:`ConservationError` listing every broken boundary."""
    problems = conservation_problems(ledger, tables, searches, not_started)
    if problems:
        raise ConservationError(
            "records not conserved across stage boundaries:\n  " + "\n  ".join(problems)
        )
