"""Property tests: Rayyan's notes field and the ASReview label column read back what was
written, whatever the names, reasons and labels hold."""

from __future__ import annotations

import polars as pl
from fuzzing import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from scoping_review.interop import asreview, rayyan

# Rayyan display names and reasons as the web app allows them: no double quote in a name
# (it would be escaped), no comma in a reason (it is the separator), no " | " in either
NAME = st.text(st.characters(blacklist_characters='"\\|\n\r', blacklist_categories=("Cs",)), min_size=1, max_size=20).map(str.strip).filter(bool)  # fmt: skip
REASON = st.text(st.characters(blacklist_characters=',|"\n\r', blacklist_categories=("Cs",)), min_size=1, max_size=30).map(str.strip).filter(bool)  # fmt: skip
VOTE = st.sampled_from(["Included", "Excluded", "Maybe"])


@FUZZ
@given(
    votes=st.dictionaries(NAME, VOTE, max_size=4),
    reasons=st.lists(REASON, max_size=4),
    labels=st.lists(REASON, max_size=3),
)
def test_rayyan_notes_round_trip(
    votes: dict[str, str], reasons: list[str], labels: list[str]
) -> None:
    parts = []
    if votes:
        parts.append(
            "RAYYAN-INCLUSION: {" + ", ".join(f'"{k}"=>"{v}"' for k, v in votes.items()) + "}"
        )
    if labels:
        parts.append("RAYYAN-LABELS: " + ",".join(labels))
    if reasons:
        parts.append("RAYYAN-EXCLUSION-REASONS: " + ",".join(reasons))
    notes = rayyan.parse_notes(" | ".join(parts))
    assert notes.votes == votes
    assert notes.reasons == reasons
    assert notes.labels == labels


@FUZZ
@given(st.lists(st.sampled_from(["1", "0", "", "1.0", "0.0"]), min_size=1, max_size=30))
def test_asreview_labels(labels: list[str]) -> None:
    frame = pl.DataFrame(
        {"title": [f"t{i}" for i in range(len(labels))], "asreview_label": labels}
    ).with_columns(pl.col("asreview_label").replace("", None))
    rows = asreview.read_table(frame, "x.csv", "me")
    want = {"1": "include", "1.0": "include", "0": "exclude", "0.0": "exclude", "": None}
    assert rows["decision"].to_list() == [want[v] for v in labels]
    assert rows["row"].to_list() == list(range(2, len(labels) + 2))
