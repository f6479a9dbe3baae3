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

from collections.abc import Collection, Iterable, Mapping, Sequence
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


def ledger_ids(ledger: pl.DataFrame) -> dict[str, list[str]]:
    """``{count_id: ids}`` for the counts of things in an assembled ledger."""
    things = ledger.filter(pl.col("id_kind") != "none")
    return dict(zip(things["count_id"].to_list(), things["ids"].to_list(), strict=True))


def _repeated(ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for i in ids:
        (repeated if i in seen else seen).add(i)
    return sorted(repeated)


def _sample(ids: Iterable[str], n: int = 5) -> str:
    items = sorted(ids)
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return f"{items[:n]}{more}"


def partition_problems(
    boundary: str,
    whole_name: str,
    whole: Sequence[str],
    parts: Mapping[str, Sequence[str]],
) -> list[str]:
    """Messages for every way ``parts`` fail to be a partition of ``whole`` (empty if none)."""
    problems: list[str] = []
    where = f"{boundary}: {whole_name} = {' + '.join(parts)}"
    members = [i for ids in parts.values() for i in ids]
    if dup := _repeated(members):
        owners = {i: [name for name, ids in parts.items() if i in set(ids)] for i in dup[:3]}
        problems.append(f"{where}: {len(dup)} IDs counted more than once, e.g. {owners}")
    whole_set, union = set(whole), set(members)
    if lost := whole_set - union:
        problems.append(f"{where}: {len(lost)} IDs in {whole_name} are in no part: {_sample(lost)}")
    if extra := union - whole_set:
        problems.append(
            f"{where}: {len(extra)} IDs in the parts are not in {whole_name}: {_sample(extra)}"
        )
    return problems


def check_partitions(
    ids: Mapping[str, Sequence[str]],
    record_to_study: Mapping[str, str],
    partitions: Sequence[Partition] = PARTITIONS,
) -> list[str]:
    """Every declared :class:`Partition` over the ledger's ID lists."""
    problems: list[str] = []
    for p in partitions:
        needed = (p.whole, *p.parts)
        if missing := [n for n in needed if n not in ids]:
            problems.append(f"{p.boundary}: ledger lacks {missing} needed to check {p.whole}")
            continue

        def term(name: str, p: Partition = p) -> list[str]:
            values = ids[name]
            if name in p.as_study:
                return [record_to_study.get(i, f"<unknown record {i}>") for i in values]
            return list(values)

        problems += partition_problems(
            p.boundary, p.whole, term(p.whole), {n: term(n) for n in p.parts}
        )
    return problems


def check_import(
    ids: Mapping[str, Sequence[str]],
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
        {"records": records["record_id"].to_list(), "excluded_other": other},
    )
    if len(other) != rejects.height:
        problems.append(
            f"01_import: excluded_other lists {len(other)} records, rejects table has "
            f"{rejects.height}"
        )
    by_search = {f"database_results.{s}": ids.get(f"database_results.{s}", []) for s in searches}
    problems += partition_problems("01_import", "database_results", identified, by_search)
    return problems


def check_dedupe(
    ids: Mapping[str, Sequence[str]],
    records: pl.DataFrame,
    clusters: pl.DataFrame,
    studies: pl.DataFrame,
) -> list[str]:
    """02_dedupe: records = representatives + duplicates; one representative per study."""
    problems: list[str] = []
    imported = records["record_id"].to_list()
    if dup := _repeated(clusters["record_id"].to_list()):
        problems.append(f"02_dedupe: records in more than one cluster row: {_sample(dup)}")
    representatives = clusters.filter(pl.col("is_representative"))
    per_study = representatives.group_by("study_id").len()
    if bad := per_study.filter(pl.col("len") != 1)["study_id"].to_list():
        problems.append(f"02_dedupe: studies with more than one representative: {_sample(bad)}")
    clustered_studies = set(clusters["study_id"].to_list())
    without = clustered_studies - set(representatives["study_id"].to_list())
    if without:
        problems.append(f"02_dedupe: studies without a representative: {_sample(without)}")
    if "duplicates" not in ids:
        return [*problems, "02_dedupe: ledger lacks 'duplicates'"]
    problems += partition_problems(
        "02_dedupe",
        "imported records",
        imported,
        {
            "representatives": representatives["record_id"].to_list(),
            "duplicates": ids["duplicates"],
        },
    )
    study_table = set(studies["study_id"].to_list())
    if study_table != clustered_studies:
        problems.append(
            "02_dedupe: studies table and clusters disagree on the studies: "
            f"only in studies {_sample(study_table - clustered_studies)}, "
            f"only in clusters {_sample(clustered_studies - study_table)}"
        )
    if "dedupe.studies" in ids and set(ids["dedupe.studies"]) != study_table:
        problems.append("02_dedupe: ledger 'dedupe.studies' is not the studies table")
    return problems


def check_screen(
    ids: Mapping[str, Sequence[str]],
    studies: pl.DataFrame,
    status: pl.DataFrame,
    record_to_study: Mapping[str, str],
) -> list[str]:
    """03_screen: every study screened or removed by automation, with one final status."""
    problems: list[str] = []
    in_studies = studies["study_id"].to_list()
    problems += partition_problems(
        "03_screen", "studies", in_studies, {"status rows": status["study_id"].to_list()}
    )
    unknown = status.filter(
        pl.col("final").is_null() | ~pl.col("final").is_in(list(FINAL_STATUSES))
    )
    if unknown.height:
        problems.append(
            f"03_screen: {unknown.height} studies without a known final status "
            f"{FINAL_STATUSES}: {_sample(unknown['study_id'].to_list())}"
        )
    needed = ("records_screened", "records_pending", "excluded_automatic", "new_studies")
    if missing := [n for n in needed if n not in ids]:
        return [*problems, f"03_screen: ledger lacks {missing}"]
    problems += partition_problems(
        "03_screen",
        "studies",
        in_studies,
        {
            name: [record_to_study.get(i, f"<unknown record {i}>") for i in ids[name]]
            for name in ("records_screened", "records_pending", "excluded_automatic")
        },
    )
    included = status.filter(pl.col("final") == "included")["study_id"].to_list()
    if sorted(included) != sorted(ids["new_studies"]):
        problems.append("03_screen: ledger 'new_studies' is not the studies with final=included")
    return problems


def check_themes(ids: Mapping[str, Sequence[str]]) -> list[str]:
    """06_themes: every kept code is in exactly one theme."""
    if "codes_kept" not in ids:
        return ["06_themes: ledger lacks 'codes_kept'"]
    parts = {
        name: list(v)
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
    record_to_study = dict(
        zip(
            tables.clusters["record_id"].to_list(),
            tables.clusters["study_id"].to_list(),
            strict=True,
        )
    )
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
