"""A frozen version's rounds stay as it froze them (scoping_review.versions.closed)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from scoping_review.versions import closed

INFO = {"number": 2, "max_round": 2, "rounds": {"1": ["pubmed", "scopus"], "2": ["scopus-r2"]}}
FILES = pl.DataFrame(
    {
        "source_id": ["pubmed", "scopus", "scopus-r2"],
        "path": ["searches/pubmed.nbib", "searches/scopus.ris", "searches/./scopus-2.ris"],
        "sha256": ["a1", "b1", "c1"],
    }
)
FROZEN = closed.frozen_rounds(INFO, FILES)
SEARCHES = [
    {"id": "pubmed", "files": ["searches/pubmed.nbib"]},  # no round: round 1
    {"id": "scopus", "round": 1, "files": ["searches/scopus.ris"]},
    {"id": "scopus-r2", "round": 2, "files": ["searches/scopus-2.ris"]},
]
HASHES = {"searches/pubmed.nbib": "a1", "searches/scopus.ris": "b1", "searches/scopus-2.ris": "c1"}


def problems(
    searches: list[dict[str, object]], hashes: dict[str, str] = HASHES, advice: bool = True
) -> list[str]:
    assert FROZEN is not None
    return closed.problems(searches, FROZEN, hashes, advice=advice)


def test_the_rounds_as_frozen_and_a_new_round_are_no_change() -> None:
    assert problems(SEARCHES) == []
    round3 = {"id": "embase", "round": 3, "files": ["searches/embase.ris"]}
    assert problems([*SEARCHES, round3]) == []
    assert FROZEN is not None and closed.listed([*SEARCHES, round3], FROZEN) == sorted(HASHES)


def test_a_search_without_a_round_added_after_a_version_is_named_with_the_round_to_give() -> None:
    added = {"id": "embase", "files": ["searches/embase.ris"]}
    assert problems([*SEARCHES, added]) == [
        "search 'embase' is in round 1 (it has no `round:`, so round 1), which version 2 froze "
        "with the searches pubmed, scopus: a search added since belongs to a new round; give it "
        "`round: 3`"
    ]
    into_2 = {"id": "embase", "round": 2, "files": ["searches/embase.ris"]}
    assert problems([*SEARCHES, into_2])[0].startswith(
        "search 'embase' is in round 2, which version 2 froze with the searches scopus-r2:"
    )


def test_files_added_removed_or_changed_in_a_frozen_search_are_each_named() -> None:
    grown = [dict(s) for s in SEARCHES]
    grown[1]["files"] = ["searches/scopus.ris", "searches/scopus-extra.ris"]
    assert problems(grown) == [
        "search 'scopus' (round 1, frozen in version 2) now lists searches/scopus-extra.ris, "
        "which version 2 did not import: put new results in a new search with `round: 3`"
    ]
    replaced = problems(SEARCHES, {**HASHES, "searches/scopus.ris": "b2"})
    assert replaced == [
        "searches/scopus.ris of search 'scopus' (round 1, frozen in version 2) has changed since "
        "version 2 imported it (SHA-256 b1… then, b2… now): put back the file version 2 "
        "imported, and put new results in a new search with `round: 3`"
    ]
    # reopened on purpose, the same change is said without what to do instead
    assert problems(SEARCHES, {**HASHES, "searches/scopus.ris": "b2"}, advice=False) == [
        "searches/scopus.ris of search 'scopus' (round 1, frozen in version 2) has changed since "
        "version 2 imported it (SHA-256 b1… then, b2… now)"
    ]
    shrunk = [dict(s) for s in SEARCHES]
    shrunk[0]["files"] = []
    assert problems(shrunk) == [
        "search 'pubmed' (round 1, frozen in version 2) no longer lists searches/pubmed.nbib, "
        "which version 2 imported: list it again"
    ]


def test_a_frozen_export_renamed_with_its_content_unchanged_is_the_same_export() -> None:
    """A renamed WoS export (same SHA-256) was refused as "now lists ..., which version 2 did
    not import": no evidence changed. Renamed and changed is still named."""
    renamed = [dict(s) for s in SEARCHES]
    renamed[0]["files"] = ["searches/pubmed_2025-03-01.nbib"]
    assert problems(renamed, {**HASHES, "searches/pubmed_2025-03-01.nbib": "a1"}) == []
    changed = problems(renamed, {**HASHES, "searches/pubmed_2025-03-01.nbib": "a2"})
    assert [line.split(",")[0] for line in changed] == [
        "search 'pubmed' (round 1",
        "search 'pubmed' (round 1",
    ]  # the new file named, and the one version 2 imported missed


def test_a_frozen_search_moved_or_removed_is_named() -> None:
    moved = [dict(s) for s in SEARCHES]
    moved[2]["round"] = 3
    assert problems(moved) == [
        "search 'scopus-r2' is in round 3, but version 2 froze it in round 2: give it "
        "`round: 2` again"
    ]
    assert problems(SEARCHES[1:]) == [
        "search 'pubmed' of round 1, frozen in version 2, is no longer in the config: put it "
        "back as it was"
    ]


def test_a_saved_search_round_folder_removed_is_named_as_a_folder() -> None:
    """The stored pages of a frozen API round deleted: the advice was "put it back [in the
    config] as it was", about a config line nobody wrote (the round's search is derived)."""
    stored = {"scopus-r2": "api_searches/scopus/round-002"}
    assert FROZEN is not None
    (line,) = closed.problems(SEARCHES[:2], FROZEN, HASHES, stored)
    assert line.startswith("api_searches/scopus/round-002/ (round 2 of a saved search, frozen in")
    assert "restore that folder" in line


def test_a_version_that_did_not_record_its_rounds_is_not_compared() -> None:
    assert closed.frozen_rounds({"number": 1, "max_round": 1}, FILES) is None


@given(st.permutations(SEARCHES), st.sampled_from(["./", ""]))
def test_the_order_of_searches_and_the_spelling_of_paths_change_nothing(
    searches: list[dict[str, object]], prefix: str
) -> None:
    spelled = [{**s, "files": [prefix + str(p) for p in s["files"]]} for s in searches]  # type: ignore[attr-defined]
    assert problems(spelled) == []


def test_an_update_hashes_only_the_exports_that_changed_since_it_last_did(tmp_path: Path) -> None:
    """update.file_hashes: the right SHA-256 every time, the file read again only where its
    size, modification or change time moved (a rewrite with the old mtime still counts)."""
    import hashlib
    import os

    from scoping_review import update

    (tmp_path / "a.ris").write_bytes(b"TY  - JOUR\nER  - \n")
    (tmp_path / "b.ris").write_bytes(b"TY  - BOOK\nER  - \n")

    def sha(name: str) -> str:
        return hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()

    first = update.file_hashes(tmp_path, ["a.ris", "b.ris"])
    assert first == {"a.ris": sha("a.ris"), "b.ris": sha("b.ris")}
    stamps = tmp_path / update.HASH_STAMPS
    kept = json.loads(stamps.read_text())
    assert kept["a.ris"][3] == sha("a.ris")
    # a stamp that still matches is believed: prove it by planting a wrong digest
    kept["b.ris"][3] = "planted"
    stamps.write_text(json.dumps(kept))
    assert update.file_hashes(tmp_path, ["a.ris", "b.ris"])["b.ris"] == "planted"
    # same size, mtime put back: the change time moved, so the file is read again
    info = (tmp_path / "a.ris").stat()
    (tmp_path / "a.ris").write_bytes(b"TY  - JOUR\nER  - \n".replace(b"JOUR", b"CHAP"))
    os.utime(tmp_path / "a.ris", ns=(info.st_atime_ns, info.st_mtime_ns))
    assert update.file_hashes(tmp_path, ["a.ris"])["a.ris"] == sha("a.ris")
    stamps.write_text("not json")  # an unreadable cache: every file hashed
    assert update.file_hashes(tmp_path, ["b.ris"]) == {"b.ris": sha("b.ris")}


def test_a_damaged_frozen_version_is_named_not_a_traceback(tmp_path: Path) -> None:
    """update.closed_round_changes on the newest version folder: a version that kept no rounds
    (an older release) compares nothing; one whose files.parquet is gone or unreadable is one
    problem line naming the file, so that `update` refuses with it and `run` notes it."""
    from scoping_review import update

    version = tmp_path / "results" / "versions" / "v002"
    version.mkdir(parents=True)
    (version / "version.json").write_text(json.dumps({**INFO, "rounds": None}))
    assert update.closed_round_changes(tmp_path, SEARCHES) == []
    (version / "version.json").write_text(json.dumps(INFO))
    (tmp_path / "searches").mkdir()
    for path in HASHES:
        (tmp_path / path).write_text("TY  - JOUR\nER  - \n")
    for damage in ("missing", "not parquet"):
        if damage == "not parquet":
            (version / "files.parquet").write_text("PAR1 cut off")
        said = update.closed_round_changes(tmp_path, SEARCHES)
        assert len(said) == 1, said
        assert said[0].startswith("results/versions/v002/files.parquet: cannot be read"), said
    FILES.write_parquet(version / "files.parquet")  # whole again: the exports are compared
    said = update.closed_round_changes(tmp_path, SEARCHES)
    assert len(said) == 3 and all("has changed since version 2" in line for line in said), said
