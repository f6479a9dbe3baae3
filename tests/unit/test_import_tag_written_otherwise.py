"""An RIS tag line written otherwise is read as a tag, or named in a note; never folded silently.

Found on damaged copies of a real Scopus RIS export: ``DO\\t- 10.1016/...`` (a tab for the two
spaces, as the RIS specification's own field list writes it) or ``do  - ...`` (lower case)
was read as more of the field before: the DOI became part of the year (``'2020 do  - 10.1016/
...'``) and the first author part of SN, with no note.

The pattern, on any tag line of a real export: with a tab for its spaces the records read as
in the intact file; in lower case, a note names the line.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import require_shared
from scoping_review import importing

REL = "asreview/scopus.ris"
CONTENT = ("title", "abstract", "authors", "year", "journal", "doi", "native_id", "raw_tags")


def load(data: bytes) -> importing.Imported:
    return importing.import_export(data, importing.SourceMeta("x", "X", "2025-01-01", REL))


@pytest.fixture(scope="module")
def intact() -> tuple[bytes, list[dict[str, object]]]:
    data = (require_shared("fixtures") / "exports" / REL).read_bytes()
    return data, load(data).records.select(*CONTENT).to_dicts()


def tag_lines(data: bytes) -> list[re.Match[bytes]]:
    """The tag lines other than a record's TY and ER lines."""
    return [m for m in re.finditer(rb"(?m)^(?!TY|ER)([A-Z][A-Z0-9])  - ", data)]


settings_ = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@settings_
@given(data=st.data())
def test_a_tab_for_the_spaces_reads_as_the_tag(
    intact: tuple[bytes, list[dict[str, object]]], data: st.DataObject
) -> None:
    raw, before = intact
    line = data.draw(st.sampled_from(tag_lines(raw)))
    changed = raw[: line.start()] + line.group(1) + b"\t- " + raw[line.end() :]
    assert load(changed).records.select(*CONTENT).to_dicts() == before


@settings_
@given(data=st.data())
def test_a_tag_in_lower_case_is_named_in_a_note(
    intact: tuple[bytes, list[dict[str, object]]], data: st.DataObject
) -> None:
    raw, _ = intact
    line = data.draw(st.sampled_from(tag_lines(raw)))
    changed = raw[: line.start()] + line.group(1).lower() + raw[line.start() + 2 :]
    result = load(changed)
    number = raw[: line.start()].count(b"\n") + 1
    assert any(
        "look like tag lines written in lower case" in note and f"line(s) {number}" in note
        for note in result.notes
    ), result.notes
