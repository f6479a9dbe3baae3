"""A sheet changed after its job read it is rerun by the next run (:mod:`scoping_review.seen`).

Found by a new user: a decision the screening app saved while the screen job ran (after the
job read the sheet, before it wrote its outputs) left the sheet older than the outputs, so no
later run read it, and `update` never froze a version while it waited on that study.
"""

from __future__ import annotations

import os
from pathlib import Path

from scoping_review import seen


def test_a_file_changed_after_its_job_read_it_is_made_newer(tmp_path: Path) -> None:
    sheet = tmp_path / "screening" / "title_abstract" / "AB.csv"
    sheet.parent.mkdir(parents=True)
    sheet.write_text("record_id,decision\ndb:1,include\n")
    other = tmp_path / "sheets" / "charting.csv"
    other.parent.mkdir()
    other.write_text("record_id\n")
    made = tmp_path / "results" / "01_import" / "files.parquet"
    made.parent.mkdir(parents=True)
    made.write_bytes(b"x")
    inputs = [str(sheet.relative_to(tmp_path)), [str(other.relative_to(tmp_path))],
              str(made.relative_to(tmp_path))]  # fmt: skip
    seen.note("screen", inputs, ["results/03_screen/status.parquet"], root=tmp_path)
    manifests = list((tmp_path / seen.SEEN).glob("screen-*.json"))
    assert len(manifests) == 1 and "results/" not in manifests[0].read_text()
    assert seen.refresh(tmp_path) == []  # nothing changed: nothing touched
    # the app appends a decision while the job runs; the job's outputs come later, so the
    # sheet's time is older than theirs (here: set back an hour)
    before = sheet.stat().st_mtime_ns
    with sheet.open("a") as handle:
        handle.write("db:2,exclude\n")
    os.utime(sheet, ns=(before - 3_600 * 10**9, before - 3_600 * 10**9))
    assert seen.refresh(tmp_path) == ["screening/title_abstract/AB.csv"]
    assert sheet.stat().st_mtime_ns > before  # newer than any output the job wrote
    assert other.read_text() == "record_id\n"  # untouched files keep their time and text
    # the manifest now notes the file as it stands: a job that no longer runs (its manifest
    # left behind) does not touch it on every later run
    assert seen.refresh(tmp_path) == []
    (tmp_path / seen.SEEN / "broken.json").write_text("{not json")
    sheet.unlink()
    assert seen.refresh(tmp_path) == []  # a gone file or a torn manifest: nothing to do
