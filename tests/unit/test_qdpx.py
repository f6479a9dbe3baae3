"""REFI-QDA .qdpx projects: real ATLAS.ti exports and a hand-written project with codings."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from scoping_review import codes
from scoping_review.io import qdpx

REPO = Path(__file__).resolve().parents[2]
QDE = REPO / "tests/data/coding/project.qde"


def packed(extra: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("project.qde", QDE.read_bytes())
        for name, text in (extra or {}).items():
            z.writestr(name, text)
    return buf.getvalue()


def test_atlas_blank_project_has_nothing(fixtures_dir: Path) -> None:
    path = fixtures_dir / "qda/refi-qda_ponte/blank-atlas-project.qdpx"
    project = qdpx.read_qdpx(path.read_bytes(), str(path))
    assert project.name == "blank-atlas-project"
    assert project.codes == [] and project.segments == []


def test_atlas_project_nested_codes_become_a_codebook(fixtures_dir: Path) -> None:
    path = fixtures_dir / "qda/refi-qda_ponte/target-atlas-project.qdpx"
    project = qdpx.read_qdpx(path.read_bytes(), str(path))
    assert [c.path for c in project.codes] == [
        ("Commits",),
        ("Commits", "2022-05-10T02:05:59Z 19e4dce"),
        ("Commits", "2022-02-11T10:39:25Z cdbfd92"),
    ]
    book = codes.qdpx_codebook(project, str(path))
    # the top-level code with children is a theme; its children are codes
    assert sorted(book["code"].to_list()) == [
        "2022-02-11T10:39:25Z cdbfd92",
        "2022-05-10T02:05:59Z 19e4dce",
    ]
    assert set(book["theme"]) == {"Commits"}


def test_selections_codings_text_and_pages() -> None:
    project = qdpx.read_qdpx(packed({"sources/ghost.txt": "Ghost text"}), "p.qdpx")
    segs = codes.qdpx_segments(project, "p.qdpx")
    assert segs.height == 4
    rows = {r["segment_id"]: r for r in segs.iter_rows(named=True)}
    first = rows["20000000-0000-0000-0000-000000000001/30000000-0000-0000-0000-000000000001"]
    assert first["text"] == "I hear you" and first["code"] == "Empathy"
    assert first["code_path"] == [
        "Ways to repair ruptures",
        "Personal relationship repair",
        "Empathy",
    ]
    pdf = rows["20000000-0000-0000-0000-000000000002/30000000-0000-0000-0000-000000000003"]
    assert pdf["page"] == "4" and pdf["text"] == "steps quote"
    assert pdf["code"] == "General steps for rupture resolution (deductive)"
    ghost = rows["20000000-0000-0000-0000-000000000003/30000000-0000-0000-0000-000000000004"]
    assert ghost["text"] == "Ghost" and ghost["document"] == "Ghost (2021)"
    assert segs["row"].to_list() == [1, 2, 3, 4]


def test_qdpx_codebook_hierarchy_and_deductive_marker() -> None:
    project = qdpx.read_qdpx(packed(), "p.qdpx")
    book = {r["code"]: r for r in codes.qdpx_codebook(project, "p.qdpx").iter_rows(named=True)}
    assert set(book) == {"Empathy", "Empathic attunement", "General steps for rupture resolution"}
    assert book["Empathic attunement"]["parent"] == "Empathy"
    assert book["Empathy"]["theme"] == "Personal relationship repair"
    assert book["Empathy"]["overarching_theme"] == "Ways to repair ruptures"
    assert book["Empathy"]["definition"] == "Therapist shows empathy"
    assert book["General steps for rupture resolution"]["origin"] == "deductive"
    assert book["Empathy"]["origin"] == "inductive"


def test_broken_inputs_name_the_file() -> None:
    with pytest.raises(qdpx.QdpxError, match=r"bad\.qdpx: not a valid \.qdpx zip"):
        qdpx.read_qdpx(b"PK\x03\x04garbage", "bad.qdpx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "x")
    with pytest.raises(qdpx.QdpxError, match=r"empty\.qdpx: the zip holds no project\.qde"):
        qdpx.read_qdpx(buf.getvalue(), "empty.qdpx")
    with pytest.raises(qdpx.QdpxError, match="not well-formed XML"):
        qdpx.read_qdpx(b"<Project><Codes>", "x.qde")
    text = QDE.read_text().replace(
        'targetGUID="00000000-0000-0000-0000-000000000006"', 'targetGUID="DEADBEEF"'
    )
    with pytest.raises(qdpx.QdpxError, match="unknown code guid 'DEADBEEF'"):
        qdpx.read_qdpx(text.encode(), "x.qde")
