"""versions.change_summary: the line `update` prints, from the ledger's change counts."""

from __future__ import annotations

from scoping_review import versions


def test_the_summary_says_each_change_count_from_the_ledger() -> None:
    values = {
        "changes.previous_version": 2,
        "changes.records": 100,
        "changes.duplicates_of_known": 99,
        "changes.new_studies": 1,
        "changes.included": 0,
        "changes.excluded": 2,
        "changes.pending": 1,
        "new_studies": 7,  # not a change count
    }
    assert versions.change_summary(values) == (
        "since version 2: 100 new records, 99 duplicates of known studies, 1 new studies, "
        "0 newly included, 2 newly excluded, 1 awaiting screening"
    )


def test_with_the_round_the_summary_says_which_round_against_which_version() -> None:
    values = {"changes.previous_version": 1, "changes.records": 54, "changes.pending": 0}
    assert versions.change_summary(values, 2) == (
        "round 2 against version 1: 54 new records, 0 awaiting screening"
    )


def test_no_previous_version_no_summary() -> None:
    assert versions.change_summary({"new_studies": 3}) is None
