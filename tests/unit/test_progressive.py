"""Starting a review: init's files, stages not started in the report, distinct search labels,
the table of contents and the capped pending list."""

from __future__ import annotations

import datetime
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from scoping_review import init
from scoping_review.report import build_report, figures, render, toc
from scoping_review.report.counts import Ledger
from scoping_review.report.guard import check_html
from scoping_review.report.labels import search_labels
from support.report_sample import sample_inputs

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = str(ROOT / "workflow" / "templates")
PRISMA = str(ROOT / "resources" / "prisma")
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def section(page: str, anchor: str) -> str:
    return page.split(f'<section id="{anchor}"', 1)[1].split(">", 1)[1].split("</section>", 1)[0]


def test_init_config_is_valid_and_minimal() -> None:
    files = init.scaffold('  Alliance  ruptures: a "scoping" review ', datetime.date(2025, 3, 1))
    config = yaml.safe_load(files["config/config.yaml"])
    jsonschema.Draft202012Validator(SCHEMA).validate(config)
    assert config["review"]["title"] == 'Alliance ruptures: a "scoping" review'
    assert config["searches"][0]["date"] == "2025-03-01"
    assert set(config) == {"review", "searches", "criteria"}
    # the later stages are there to uncomment, and valid once uncommented
    later = "\n".join(
        line.replace("# ", "", 1)
        for line in files["config/config.yaml"].splitlines()
        if re.match(r"^# (screening|charting|coding|checklist|  )", line)
    )
    more = yaml.safe_load(later)
    assert set(more) == {"screening", "charting", "coding", "checklist"}
    jsonschema.Draft202012Validator(SCHEMA).validate({**config, **more})
    assert {"searches/.gitkeep", "sheets/.gitkeep", "README.md", ".gitignore"} <= set(files)


def test_init_readme_names_the_command_as_this_user_runs_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A new user ran `.venv/bin/scoping-review init`; the review's README then said
    `scoping-review run`, which their shell did not find. It names the command they ran."""
    from scoping_review import cli_init

    plain = init.scaffold("X", datetime.date(2025, 3, 1))["README.md"]
    assert "Run `scoping-review run --directory .`" in plain and "PATH" not in plain
    named = init.scaffold("X", datetime.date(2025, 3, 1), command="/v/bin/scoping-review")
    readme = named["README.md"]
    assert "Run `/v/bin/scoping-review run --directory .`" in readme
    assert "`/v/bin/scoping-review update --directory .`" in readme and "PATH" in readme
    assert "scoping-review run --directory ." not in readme.replace("/v/bin/scoping-review", "")
    script = tmp_path / "bin" / "scoping-review"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(script)])
    monkeypatch.setenv("PATH", "/nonexistent")
    assert cli_init.command_name() == str(script.resolve())
    monkeypatch.setenv("PATH", str(script.parent))
    assert cli_init.command_name() == "scoping-review"
    monkeypatch.setattr(sys, "argv", ["-m"])
    assert cli_init.command_name().endswith("-m scoping_review.cli")


def test_schema_needs_only_review_and_searches() -> None:
    config = {
        "review": {"title": "x"},
        "searches": [{"id": "a", "database": "A", "date": "2025-01-01", "files": ["a.ris"]}],
    }
    jsonschema.Draft202012Validator(SCHEMA).validate(config)


SEARCH = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
        "database": st.sampled_from(["Scopus", "PubMed", "Web of Science"]),
        "platform": st.sampled_from(["", "Ovid", "Scopus", "pubmed"]),
        "date": st.sampled_from(["2024-01-10", "2024-06-10"]),
        "round": st.integers(1, 3),
    }
)


@given(st.lists(SEARCH, min_size=1, max_size=8, unique_by=lambda s: s["id"]))
def test_search_labels_are_distinct_and_start_with_the_database(searches: list[Any]) -> None:
    labels = search_labels(searches)
    assert list(labels) == [s["id"] for s in searches]
    assert len(set(labels.values())) == len(searches)

    def platform(s: dict[str, Any]) -> str:  # none, where it names the database itself
        return "" if s["platform"].casefold() == s["database"].casefold() else s["platform"]

    for s in searches:
        assert labels[s["id"]].startswith(s["database"])
        alone = sum(1 for t in searches if t["database"] == s["database"]
                    and platform(t) == platform(s)) == 1  # fmt: skip
        if alone:  # a database searched once keeps its plain name
            assert labels[s["id"]] == s["database"] + (f" ({platform(s)})" if platform(s) else "")
        # never "Scopus (Scopus)" nor "PubMed (pubmed)"
        assert f"({s['database']})".casefold() not in labels[s["id"]].casefold()


def test_search_labels_tell_rounds_dates_and_ids_apart() -> None:
    base = {"database": "Scopus", "platform": ""}
    labels = search_labels(
        [
            {**base, "id": "s1", "date": "2024-01-10", "round": 1},
            {**base, "id": "s2", "date": "2024-06-10", "round": 2},
            {"id": "p", "database": "PubMed", "date": "2024-01-10"},
        ]
    )
    assert labels == {
        "s1": "Scopus, round 1, 2024-01-10",
        "s2": "Scopus, round 2, 2024-06-10",
        "p": "PubMed",
    }
    same = search_labels(
        [{**base, "id": "a", "date": "2024-01-10"}, {**base, "id": "b", "date": "2024-01-10"}]
    )
    assert same == {"a": "Scopus [a]", "b": "Scopus [b]"}


def test_two_searches_of_one_database_are_two_bars() -> None:
    inputs = sample_inputs(TEMPLATES, PRISMA)
    searches = [dict(s, database="MEDLINE", platform="Ovid") for s in inputs.config["searches"]]
    ledger = Ledger(inputs.ledger)
    spec = figures.records_per_source(ledger, {**inputs.config, "searches": searches})
    assert spec is not None
    datasets = spec.get("datasets") or {"values": spec["data"]["values"]}
    bars = next(iter(datasets.values()))
    labels = [b["label"] for b in bars]
    assert len(labels) == len(set(labels)) == len(searches)
    assert [b["count_id"] for b in bars] == [f"database_results.{s['id']}" for s in searches]


def test_stages_not_started_are_one_line_each() -> None:
    base = sample_inputs(TEMPLATES, PRISMA)
    out = build_report(
        replace(base, stages={"screening": True, "charting": False, "coding": False})
    )
    page = out.html
    assert text_of(section(page, "characteristics")).startswith(
        "Characteristics of included studies Charting not started: add a charting sheet"
    )
    assert "Coding not started" in text_of(section(page, "synthesis"))
    assert 'class="themes"' not in page and 'class="charting"' not in page
    assert "codes in" not in text_of(section(page, "summary"))
    rows = {r["number"]: r["source"] for r in build_checklist_rows(page)}
    assert rows["15"] == "not_started" and rows["18"] == "not_started" and rows["14"] == "data"
    ledger = Ledger(base.ledger)
    assert check_html(page, ledger.values(), ledger.units()).n_counts > 50
    started = build_report(base).html
    assert "not started" not in started


def build_checklist_rows(page: str) -> list[dict[str, str]]:
    return [
        {"number": n, "source": s}
        for s, n in re.findall(
            r'class="checklist-item source-([a-z_+]+)"[^>]*data-item="(\d+)"', page
        )
    ]


def test_contents_lists_sections_and_subsections() -> None:
    page = build_report(sample_inputs(TEMPLATES, PRISMA)).html
    nav = page.split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'href="#([^"]+)"', nav)
    sections = re.findall(r'<section id="([^"]+)"', page)
    assert [link for link in links if link in sections] == sections
    assert "methods-searches" in links and "screening-pending" in links
    assert links.index("methods") < links.index("methods-searches") < links.index("prisma")
    assert toc.add_contents("<main></main>") == "<main></main>"


def test_pending_list_is_capped() -> None:
    base = sample_inputs(TEMPLATES, PRISMA)
    n = render.PENDING_SHOWN + 30
    status = pl.DataFrame(
        {
            "study_id": [f"S{i:05d}" for i in range(n)],
            "pending": [True] * n,
            "pending_reason": ["not screened"] * n,
            "title_abstract": [None] * n,
        },
        schema_overrides={"title_abstract": pl.String},
    )
    view = render.screening_view(base.config, Ledger(base.ledger), status, None, base.lookup)
    assert len(view["pending"]) == render.PENDING_SHOWN
    assert view["pending_more"] is True
    assert view["pending"][0]["study_id"] == "S00000"


def test_init_gitignore_keeps_the_frozen_versions(tmp_path: Path) -> None:
    """A scheduled CI update starts from a fresh checkout: the frozen versions (no run rebuilds
    them) must be tracked, the rest of results/ not (checked with git itself)."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (tmp_path / ".gitignore").write_text(init.scaffold("T")[".gitignore"])
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)

    def ignored(path: str) -> bool:
        run = subprocess.run(["git", "-C", str(tmp_path), "check-ignore", "-q", path])
        return run.returncode == 0

    assert ignored("results/02_dedupe/studies.parquet")
    assert ignored(".snakemake/log/x.log")
    assert not ignored("results/versions/v001/version.json")
    assert not ignored("api_searches/pubmed/round-001/manifest.json")
