"""Living updates: search rounds, frozen numbered versions and what changed between them.

A review's searches carry a ``round`` (1 for the first review, then 2, 3, ... for updates).
Each completed update (nothing awaiting screening) is frozen as a numbered version under
``results/versions/vNNN/`` with the ledger, the included studies, the record-to-study map,
the screening status, the report and a run manifest. The *previous version* of a run is the
newest frozen version whose newest round is older than the run's current round, so re-running
a round that was already frozen changes nothing, and the report of round R always compares
with the version that closed round R-1 (or an earlier one).

Everything here is pure: frames and plain values in, frames, counts and dicts out. The
``update`` command and the ``changes`` rule's adapter do the I/O.
"""

from __future__ import annotations

from .changes import (
    CHANGE_COUNTS,
    RULE,
    STAGE,
    PreviousVersion,
    change_counts,
    change_summary,
    compute_changes,
    included_studies,
)
from .freeze import (
    EXCLUDED,
    EXIT_ERROR,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_PENDING,
    EXIT_USAGE,
    VERSIONS_DIR,
    FreezeDecision,
    VersionInfo,
    current_round,
    decide_freeze,
    latest_version,
    parse_version_info,
    previous_version,
    relabelled,
    rounds,
    same_counts_note,
    version_dirname,
)
from .manifest import manifest
from .update_arm import (
    UPDATE_IDENTIFIED,
    UPDATE_RECORD_FLOW,
    UPDATE_RECORD_PREFIXES,
    UPDATE_STUDY_FLOW,
    UPDATE_STUDY_PREFIXES,
    update_arm,
    update_counts,
)

__all__ = [
    "CHANGE_COUNTS",
    "EXCLUDED",
    "EXIT_ERROR",
    "EXIT_LOCKED",
    "EXIT_OK",
    "EXIT_PENDING",
    "EXIT_USAGE",
    "RULE",
    "STAGE",
    "UPDATE_IDENTIFIED",
    "UPDATE_RECORD_FLOW",
    "UPDATE_RECORD_PREFIXES",
    "UPDATE_STUDY_FLOW",
    "UPDATE_STUDY_PREFIXES",
    "VERSIONS_DIR",
    "FreezeDecision",
    "PreviousVersion",
    "VersionInfo",
    "change_counts",
    "change_summary",
    "compute_changes",
    "current_round",
    "decide_freeze",
    "included_studies",
    "latest_version",
    "manifest",
    "parse_version_info",
    "previous_version",
    "relabelled",
    "rounds",
    "same_counts_note",
    "update_arm",
    "update_counts",
    "version_dirname",
]
