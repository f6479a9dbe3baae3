"""Frozen versions: their info and directory names, search rounds, exit statuses and the decision
to freeze.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

# exit statuses of `scoping-review update` (documented in the README; defined in vocabulary)
from ..vocabulary import EXIT_ERROR as EXIT_ERROR
from ..vocabulary import EXIT_LOCKED as EXIT_LOCKED
from ..vocabulary import EXIT_OK as EXIT_OK
from ..vocabulary import EXIT_PENDING as EXIT_PENDING
from ..vocabulary import EXIT_USAGE as EXIT_USAGE
from ..wording import first_few

VERSIONS_DIR = "results/versions"
EXCLUDED = ("excluded_title_abstract", "excluded_full_text", "not_retrieved", "excluded_automatic")


@dataclass(frozen=True)
class VersionInfo:
    """What ``version.json`` of a frozen version says about it."""

    number: int
    max_round: int
    ledger_sha256: str

    @property
    def dirname(self) -> str:
        return version_dirname(self.number)


def version_dirname(number: int) -> str:
    return f"v{number:03d}"


def current_round(searches: Sequence[Mapping[str, Any]]) -> int:
    """The newest search round in the config (searches without ``round`` are round 1)."""
    return max((int(s.get("round", 1)) for s in searches), default=1)


def rounds(searches: Sequence[Mapping[str, Any]]) -> dict[int, list[str]]:
    """Search IDs by round, rounds in order."""
    out: dict[int, list[str]] = {}
    for s in searches:
        out.setdefault(int(s.get("round", 1)), []).append(str(s["id"]))
    return dict(sorted(out.items()))


def parse_version_info(data: Mapping[str, Any]) -> VersionInfo:
    return VersionInfo(int(data["number"]), int(data["max_round"]), str(data["ledger_sha256"]))


def previous_version(versions: Iterable[VersionInfo], round_: int) -> VersionInfo | None:
    """The newest frozen version whose newest round is older than ``round_``."""
    older = [v for v in versions if v.max_round < round_]
    return max(older, key=lambda v: v.number) if older else None


def latest_version(versions: Iterable[VersionInfo]) -> VersionInfo | None:
    return max(versions, key=lambda v: v.number, default=None)


@dataclass(frozen=True)
class FreezeDecision:
    action: str  # "freeze" | "pending" | "unchanged"
    number: int  # the version frozen, or the newest one when unchanged (0: none)
    message: str


def _studies(n: int) -> str:
    return "1 study" if n == 1 else f"{n} studies"


def waiting(pending: int, full_text: int = 0) -> str:
    """What ``pending`` studies wait for, ``full_text`` of them for full-text assessment (the
    others for title/abstract screening, or a reviewer's decision at that stage)."""
    verb = "awaits" if pending == 1 else "await"
    if not full_text:
        return f"{_studies(pending)} {verb} screening"
    if full_text == pending:
        return f"{_studies(pending)} {verb} full-text assessment"
    return (
        f"{_studies(pending)} {verb} screening: {pending - full_text} at title and abstract, "
        f"{full_text} in full-text assessment"
    )


# the ledger's wording: what a release of the tool may say anew about the same count
WORDING = ("label",)


def relabelled(current: pl.DataFrame, frozen: pl.DataFrame) -> int | None:
    """How many counts of ``current`` (a counts ledger) differ from the ``frozen`` version's
    ledger in their wording alone (:data:`WORDING`); None when anything else differs: a count
    added or gone, a value, an ID list, a stage, a rule or an input's hash. A release of the
    tool that words its counts anew changes the ledger's bytes, not the evidence: it is no
    reason to freeze a version with the same numbers from the same inputs."""
    if set(current.columns) != set(frozen.columns) or current.height != frozen.height:
        return None
    left, right = current.sort("count_id"), frozen.select(current.columns).sort("count_id")
    if not left.drop(WORDING).equals(right.drop(WORDING)):
        return None
    return int(left.select((pl.col(WORDING[0]) != right[WORDING[0]]).sum()).item())


def decide_freeze(
    versions: Sequence[VersionInfo],
    ledger_sha256: str,
    pending: int,
    round_: int,
    full_text: int = 0,
    reworded: int | None = None,
) -> FreezeDecision:
    """Freeze a new version only when nothing awaits screening and the ledger changed.
    ``full_text``: how many of the ``pending`` studies await full-text assessment;
    ``reworded``: how many counts differ from the newest version's in their wording alone
    (:func:`relabelled`; None: more than wording differs, or it was not compared)."""
    latest = latest_version(versions)
    if pending:
        return FreezeDecision(
            "pending",
            latest.number if latest else 0,
            f"{waiting(pending, full_text)}; no version frozen (round {round_})",
        )
    if latest is not None and (latest.ledger_sha256 == ledger_sha256 or reworded is not None):
        said = (
            f" (the labels of {reworded} count{'' if reworded == 1 else 's'} are worded "
            "anew by this release of the tool; the version keeps its own report)"
            if latest.ledger_sha256 != ledger_sha256 and reworded
            else ""
        )
        return FreezeDecision(
            "unchanged",
            latest.number,
            f"nothing changed since version {latest.number} was frozen{said}",
        )
    number = latest.number + 1 if latest else 1
    return FreezeDecision("freeze", number, f"froze version {number} (round {round_})")


def _own_inputs(ledger: pl.DataFrame) -> dict[str, str]:
    """``{name: sha256}`` of the files a ledger's counts were computed from that the team keeps
    (exports, sheets, config), not the stage tables under ``results/`` the workflow wrote."""
    pairs = ledger.select(pl.col("inputs").explode().struct.unnest()).drop_nulls().unique()
    return {
        name: sha
        for name, sha in pairs.rows()
        if not name.replace("\\", "/").startswith(("results/", "./results/"))
        and "/results/" not in name.replace("\\", "/")
    }


def same_counts_note(current: pl.DataFrame, frozen: pl.DataFrame, number: int) -> str | None:
    """Why a version is frozen whose counts (IDs, values) are all those of version ``number``
    (``frozen``, its ledger): which of the team's files moved (the same bytes under another
    name) or changed without changing a count; None when a count differs (the update's
    summary says what). Counts of files are compared by value: their IDs are paths."""
    # a count of files names them by path: a file moved is said below, by its content's hash
    ids = pl.when(pl.col("id_kind") == "file").then(pl.lit([], pl.List(pl.String)))
    key = ["count_id", "value", ids.otherwise("ids").alias("ids")]
    if current.height != frozen.height or not current.select(key).sort("count_id").equals(
        frozen.select(key).sort("count_id")
    ):
        return None
    now, then = _own_inputs(current), _own_inputs(frozen)
    by_hash = {sha: name for name, sha in then.items() if name not in now}
    moved = [
        f"{by_hash[sha]} -> {name}"
        for name, sha in sorted(now.items())
        if name not in then and sha in by_hash
    ]
    edited = [name for name, sha in sorted(now.items()) if name in then and then[name] != sha]
    gone = sorted(set(then) - set(now) - {m.split(" -> ")[0] for m in moved})
    new = sorted(set(now) - set(then) - {m.split(" -> ")[1] for m in moved})
    said = [
        f"{label}: {first_few(names)}"
        for label, names in (
            ("moved or renamed", moved),
            ("edited", edited),
            ("new", new),
            ("no longer read", gone),
        )
        if names
    ]
    same = f"every count is the same as in version {number}"
    if not said:
        return f"{same}; no export or sheet changed (a setting or the tool's release did)"
    return f"{same}; inputs {'; '.join(said)}"
