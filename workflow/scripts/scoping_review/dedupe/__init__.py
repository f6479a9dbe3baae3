"""02_dedupe: group records of the same study, explain every link, assign stable study IDs.

Pipeline (every step column-wise on polars frames; Python loops only inside the rare
components that the chaining guard has to rebuild):

1. **Keys** (:mod:`.keys`): normalised title (markup, diacritics, brackets, notice prefixes),
   surnames, journal and its initials, volume, issue, first/last page, DOI, PMID, abstract, and
   flags for notices (erratum, retraction), preprints and conference abstracts.
2. **Blocking** (:mod:`.blocking`): records are compared only when they share a DOI, PMID, title
   head or tail, first author + year, or volume + first page + year (sorted neighbourhood).
3. **Scoring** (:mod:`.scoring`): rapidfuzz similarities per pair and a three-way verdict:
   *duplicate* (named by the rule that fired), *maybe* (to the review queue) or *distinct*;
   related records (erratum, retraction, preprint, conference abstract) are never merged.
4. **Clustering** (:mod:`.clustering`): components of the duplicate links, with a guard that
   rebuilds any component holding two records that cannot be the same study; people's
   decisions (same/different) override the rules on every run.

Study IDs are stable: ``S-`` plus a hash of the study's anchor record, its earliest record by
(search date, record_id). New searches are dated later, so new records never displace an anchor.
The representative record is the most complete one (most filled fields among title, abstract,
authors, year, journal, volume, issue, pages, DOI, PMID), then the earliest searched, then the
smallest record_id; fields it lacks are filled from the other members.
"""

from __future__ import annotations

from ..study_ids import study_id_for
from .assemble import COMPLETENESS_FIELDS, SIDE_FIELDS, with_search_rounds
from .counts import dedupe_counts
from .decisions import (
    DECISION_COLUMNS,
    DECISION_VALUES,
    DecisionError,
    combine_decisions,
    decisions_from_sheet,
    review_worksheet,
)
from .keys import match_keys
from .pipeline import deduplicate, run, run_with_state
from .scoring import DUPLICATE_RULES, RELATION_TEXT, RULE_TEXT
from .settings import RECORD_COLUMNS, RULES, DedupeResult, DedupeSettings
from .state import DedupeState, stale_reason, state_meta

__all__ = [
    "COMPLETENESS_FIELDS",
    "DECISION_COLUMNS",
    "DECISION_VALUES",
    "DUPLICATE_RULES",
    "RECORD_COLUMNS",
    "RELATION_TEXT",
    "RULES",
    "RULE_TEXT",
    "SIDE_FIELDS",
    "DecisionError",
    "DedupeResult",
    "DedupeSettings",
    "DedupeState",
    "combine_decisions",
    "decisions_from_sheet",
    "dedupe_counts",
    "deduplicate",
    "match_keys",
    "review_worksheet",
    "run",
    "run_with_state",
    "stale_reason",
    "state_meta",
    "study_id_for",
    "with_search_rounds",
]
