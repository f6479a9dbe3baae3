"""Study IDs a sheet names that no study has any more (:mod:`..former_ids`, shared with the
charting and coding readers)."""

from ..former_ids import former_study_ids as former_study_ids
