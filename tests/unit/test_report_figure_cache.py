"""The report's figure renderings cache, the lazily read ledger IDs and the count listings.

A report built with a warm cache must be byte-identical to one built cold; entries that are
torn, edited, stale or filed under another key must be ignored (drawn again), never used.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import altair as alt
import jsonschema
import polars as pl
import pytest
import vl_convert as vlc

from scoping_review import storage
from scoping_review.report import ReportOutputs, build_report
from scoping_review.report.counts import Ledger, MissingCountError
from scoping_review.report.explain import lookup_frame
from scoping_review.report.figures import Renderer, single_weight
from scoping_review.report.figures.renderer import CACHE_FORMAT, pack, spec_key, unpack
from scoping_review.report.listings import count_listings
from scoping_review.spreadsheet import neutralise
from support.report_sample import sample_inputs

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = str(ROOT / "workflow" / "templates")
PRISMA = str(ROOT / "resources" / "prisma")


class DictStore:
    """An in-memory :class:`BlobStore` that counts its reads and writes."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.puts = 0

    def get(self, key: str) -> bytes | None:
        return self.blobs.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.puts += 1
        self.blobs[key] = data


def same_outputs(a: ReportOutputs, b: ReportOutputs) -> None:
    """Every output the adapter writes is byte-identical."""
    assert a.html == b.html
    assert (a.flow_svg, a.flow_png, a.flow_pdf, a.flow_vegalite) == (
        b.flow_svg,
        b.flow_png,
        b.flow_pdf,
        b.flow_vegalite,
    )
    assert a.figures == b.figures
    assert a.figure_exports.keys() == b.figure_exports.keys()
    for name, fig in a.figure_exports.items():
        other = b.figure_exports[name]
        assert (fig.svg, fig.png, fig.vegalite) == (other.svg, other.png, other.vegalite), name
    assert (a.checklist_markdown, a.checklist_csv) == (b.checklist_markdown, b.checklist_csv)


@pytest.fixture(scope="module")
def cold() -> ReportOutputs:
    return build_report(sample_inputs(TEMPLATES, PRISMA, previous=7))


@pytest.fixture(scope="module")
def flow_spec(cold: ReportOutputs) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(cold.flow_vegalite)
    return spec


# -- the renderer ------------------------------------------------------------------------------


def test_png_rasterised_from_the_svg_is_the_png_vl_convert_draws(cold: ReportOutputs) -> None:
    """The renderer lays a spec out once; its PNG must equal vegalite_to_png's."""
    for spec in [json.loads(cold.flow_vegalite)] + [
        f.spec for f in list(cold.figure_exports.values())[:3]
    ]:
        assert Renderer().png(spec) == bytes(vlc.vegalite_to_png(spec, scale=2))


def test_pdf_is_drawn_in_one_weight(flow_spec: dict[str, Any]) -> None:
    assert single_weight(flow_spec) != flow_spec  # the flow has bold headings
    assert Renderer().pdf(flow_spec) == bytes(vlc.vegalite_to_pdf(single_weight(flow_spec)))


def test_one_run_draws_each_spec_and_format_once(flow_spec: dict[str, Any]) -> None:
    store = DictStore()
    draw = Renderer(store)
    svg = draw.svg(flow_spec)
    draw.png(flow_spec)  # from the SVG above, not a second layout
    assert draw.svg(flow_spec) == svg
    assert (draw.drawn, draw.reused, store.puts) == (2, 0, 2)
    assert len(draw.used) == 2


def test_png_rasterised_on_a_second_thread_is_the_same(flow_spec: dict[str, Any]) -> None:
    store = DictStore()
    with ThreadPoolExecutor(max_workers=1) as raster:
        draw = Renderer(store, raster)
        draw.start_png(flow_spec)
        draw.start_png(flow_spec)  # once only
        png = draw.png(flow_spec)
    assert png == Renderer().png(flow_spec)
    assert (draw.drawn, store.puts, len(draw.used)) == (2, 2, 2)


def test_keys_change_with_the_data_the_format_and_the_renderer(
    flow_spec: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = json.loads(json.dumps(flow_spec))
    edited["datasets"] = {"extra": [{"n": 1}]}
    key = spec_key(flow_spec, "svg")
    assert key == spec_key(json.loads(json.dumps(flow_spec)), "svg")  # same spec, same key
    assert len({key, spec_key(edited, "svg"), spec_key(flow_spec, "png@2")}) == 3
    import importlib.metadata

    from scoping_review.report.figures import renderer

    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0.0-other")
    renderer.renderer_version.cache_clear()
    try:
        assert spec_key(flow_spec, "svg") != key
    finally:
        renderer.renderer_version.cache_clear()


def test_unpack_accepts_only_a_sound_entry_under_its_own_key() -> None:
    key, other = "ab" * 32, "cd" * 32
    blob = pack(key, b"<svg>payload</svg>")
    assert unpack(key, blob) == b"<svg>payload</svg>"
    assert unpack(key, None) is None
    assert unpack(other, blob) is None  # filed under another key
    assert unpack(key, blob[:-3]) is None  # torn
    assert unpack(key, blob.replace(b"payload", b"paYload")) is None  # edited
    assert unpack(key, blob.replace(CACHE_FORMAT.encode(), b"older format")) is None  # stale
    assert unpack(key, b"") is None and unpack(key, b"garbage") is None


# -- the report with a cache -------------------------------------------------------------------


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportOutputs]:
    """A cache directory filled by one cold build, and that build's outputs."""
    cache = tmp_path_factory.mktemp("figure-cache") / "cache"
    inputs = sample_inputs(TEMPLATES, PRISMA, previous=7)
    return cache, build_report(replace(inputs, figure_cache=storage.DirectoryStore(cache)))


def copied(filled: tuple[Path, ReportOutputs], tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    shutil.copytree(filled[0], cache)
    return cache


def test_warm_report_is_byte_identical_to_a_cold_one(
    cold: ReportOutputs, filled: tuple[Path, ReportOutputs], tmp_path: Path
) -> None:
    first = filled[1]
    assert first.figures_drawn == len(first.figure_keys) and first.figures_reused == 0
    assert sorted(p.name for p in filled[0].iterdir()) == sorted(first.figure_keys)
    inputs = sample_inputs(TEMPLATES, PRISMA, previous=7)
    store = storage.DirectoryStore(copied(filled, tmp_path))
    warm = build_report(replace(inputs, figure_cache=store))
    assert (warm.figures_drawn, warm.figures_reused) == (0, len(first.figure_keys))
    assert warm.figure_keys == first.figure_keys
    same_outputs(cold, first)
    same_outputs(cold, warm)


def test_a_changed_count_redraws_only_the_figures_that_show_it() -> None:
    inputs = sample_inputs(TEMPLATES, PRISMA, previous=7)
    store = DictStore()
    first = build_report(replace(inputs, figure_cache=store))
    # one more record from the first search: the flow and records-per-source figures change
    ledger = inputs.ledger
    changed = ledger.with_columns(
        pl.when(pl.col("count_id") == "database_results.embase")
        .then(pl.col("ids").list.concat(pl.lit(["embase:extra"])))
        .otherwise(pl.col("ids"))
        .alias("ids")
    ).with_columns(
        pl.when(pl.col("count_id") == "database_results.embase")
        .then(pl.col("ids").list.len())
        .otherwise(pl.col("value"))
        .alias("value")
    )
    second = build_report(replace(inputs, ledger=changed, figure_cache=store))
    assert 0 < second.figures_drawn < len(second.figure_keys)
    assert second.figures_reused == len(second.figure_keys & first.figure_keys)
    same_outputs(second, build_report(replace(inputs, ledger=changed)))


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "other_key", "old_format"])
def test_a_damaged_cache_entry_is_ignored_and_redrawn(
    cold: ReportOutputs, filled: tuple[Path, ReportOutputs], tmp_path: Path, damage: str
) -> None:
    cache = copied(filled, tmp_path)
    entries = sorted(cache.iterdir())
    victim = max(entries, key=lambda p: p.stat().st_size)  # a PNG, most likely
    blob = victim.read_bytes()
    if damage == "flip":
        victim.write_bytes(blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:])
    elif damage == "truncate":
        victim.write_bytes(blob[: len(blob) // 2])
    elif damage == "empty":
        victim.write_bytes(b"")
    elif damage == "other_key":
        donor = next(p for p in entries if p != victim)
        victim.write_bytes(donor.read_bytes())
    else:
        victim.write_bytes(blob.replace(CACHE_FORMAT.encode(), b"scoping-review figure cache 0"))
    inputs = sample_inputs(TEMPLATES, PRISMA, previous=7)
    again = build_report(replace(inputs, figure_cache=storage.DirectoryStore(cache)))
    assert (again.figures_drawn, again.figures_reused) == (1, len(entries) - 1)
    same_outputs(cold, again)
    assert unpack(victim.name, victim.read_bytes()) is not None  # rewritten sound


def test_directory_store_writes_atomically_and_keeps_only_what_a_run_used(
    tmp_path: Path,
) -> None:
    store = storage.DirectoryStore(tmp_path / "c")
    assert store.get("ab" * 32) is None  # no directory yet: a miss, not an error
    store.put("ab" * 32, b"one")
    store.put("cd" * 32, b"two")
    store.put("ab" * 32, b"one again")
    assert store.get("ab" * 32) == b"one again"
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["ab" * 32, "cd" * 32]
    (tmp_path / "c" / ".tmp-left-by-a-killed-run").write_bytes(b"x")
    assert store.keep_only(["cd" * 32]) == 2
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["cd" * 32]
    with pytest.raises(ValueError, match="hex"):
        store.get("../../etc/passwd")
    blocked = storage.DirectoryStore(tmp_path / "c" / ("cd" * 32) / "below-a-file")
    blocked.put("ab" * 32, b"x")  # cannot be written: skipped, the run goes on
    assert blocked.get("ab" * 32) is None


def test_every_figure_spec_is_valid_vega_lite(cold: ReportOutputs) -> None:
    """The report builds specs without Altair's schema check (VALIDATE_SPECS); make it here."""
    for spec in [json.loads(cold.flow_vegalite)] + [f.spec for f in cold.figure_exports.values()]:
        alt.Root.from_dict(spec, validate=True)
    broken = json.loads(cold.flow_vegalite) | {"mark": {"type": "no-such-mark"}}
    with pytest.raises(jsonschema.ValidationError):
        alt.Root.from_dict(broken, validate=True)


# -- the ledger's IDs, read per count ----------------------------------------------------------


def test_ledger_reads_ids_per_count_and_heads_without_them() -> None:
    frame = sample_inputs(TEMPLATES, PRISMA).ledger
    ledger = Ledger(frame)
    expected = dict(zip(frame["count_id"], frame["ids"].to_list(), strict=True))
    for head in ledger:
        assert head.n_ids == len(expected[head.count_id])
        assert ledger.ids(head.count_id) == tuple(expected[head.count_id])
        row = ledger.row(head.count_id)
        assert (row.count_id, row.value, row.label, row.ids) == (
            head.count_id,
            head.value,
            head.label,
            tuple(expected[head.count_id]),
        )
    assert {f.name for f in fields(type(ledger.head("database_results")))} >= {"n_ids", "value"}
    with pytest.raises(MissingCountError, match=r"no\.such"):
        ledger.ids("no.such")


# -- count listings ----------------------------------------------------------------------------


def per_count_listing(ids: list[str], lookup: pl.DataFrame) -> pl.DataFrame:
    """The listing as the report wrote it before batching: one join per count."""
    return pl.DataFrame({"id": ids}, schema={"id": pl.String}).join(lookup, on="id", how="left")


@pytest.mark.parametrize("batch_ids", [1, 7, 2_000_000])
def test_listings_equal_a_join_per_count_in_any_batch_size(batch_ids: int) -> None:
    inputs = sample_inputs(TEMPLATES, PRISMA)
    ledger = pl.concat(
        [
            inputs.ledger,
            inputs.ledger.head(1).with_columns(
                pl.lit("zz.empty").alias("count_id"),
                pl.lit(0, dtype=pl.Int64).alias("value"),
                pl.lit([], dtype=pl.List(pl.String)).alias("ids"),
                pl.lit("record").alias("id_kind"),
            ),
        ]
    )
    lookup = inputs.lookup
    got = dict(count_listings(ledger, lookup, batch_ids=batch_ids))
    things = ledger.filter(pl.col("id_kind") != "none")
    assert list(got) == sorted(things["count_id"].to_list())
    for count_id, ids in things.select("count_id", "ids").rows():
        want = per_count_listing(ids, lookup)
        assert got[count_id].schema == want.schema, count_id
        assert got[count_id].equals(want), count_id
    assert got["zz.empty"].height == 0
    assert any(got[c].height > 1 for c in got)


def test_listing_keeps_an_unknown_id_with_empty_fields() -> None:
    records = pl.DataFrame(
        {"record_id": ["a:1"], "title": ["T"], "year": [2020], "database": ["A"]}
    )
    studies = pl.DataFrame(
        {"study_id": ["S-1"], "title": ["T"], "year": [2020], "databases": [["A"]]}
    )
    ledger = (
        sample_inputs(TEMPLATES, PRISMA)
        .ledger.head(1)
        .with_columns(
            pl.lit("x").alias("count_id"),
            pl.lit(["zz:9", "a:1", "S-1"]).alias("ids"),
            pl.lit(3, dtype=pl.Int64).alias("value"),
            pl.lit("record").alias("id_kind"),
        )
    )
    ((count_id, listing),) = list(count_listings(ledger, lookup_frame(records, studies)))
    assert count_id == "x"
    assert listing["id"].to_list() == ["zz:9", "a:1", "S-1"]
    assert listing["kind"].to_list() == [None, "record", "study"]


@pytest.mark.parametrize("batch_ids", [1, 2_000_000])
def test_neutralised_listings_equal_each_listing_neutralised(batch_ids: int) -> None:
    records = pl.DataFrame(
        {
            "record_id": ["a:1", "=a:2", "a:3"],
            "title": ["=HYPERLINK(x)", "+plain", "T"],
            "year": [2020, None, 1999],
            "database": ["@A", "B", "-C"],
        }
    )
    studies = pl.DataFrame(
        {"study_id": ["S-1"], "title": ["-T"], "year": [2020], "databases": [["=A", "B"]]}
    )
    lookup = lookup_frame(records, studies)
    ledger = (
        sample_inputs(TEMPLATES, PRISMA)
        .ledger.head(2)
        .with_columns(
            pl.Series("count_id", ["x", "y"]),
            pl.Series("ids", [["@zz:9", "a:1", "=a:2", "S-1"], ["a:3", "=a:2"]]),
            pl.lit(3, dtype=pl.Int64).alias("value"),
            pl.lit("record").alias("id_kind"),
        )
    )
    raw = dict(count_listings(ledger, lookup, batch_ids=batch_ids))
    safe = dict(count_listings(ledger, lookup, batch_ids=batch_ids, neutralised=True))
    assert list(safe) == list(raw) == ["x", "y"]
    for count_id, listing in raw.items():
        assert safe[count_id].equals(neutralise(listing)), count_id
    assert safe["x"]["id"].to_list() == ["'@zz:9", "a:1", "'=a:2", "S-1"]
    assert safe["x"]["title"].to_list() == [None, "'=HYPERLINK(x)", "'+plain", "'-T"]
    assert safe["y"]["source"].to_list() == ["'-C", "B"]


def test_a_font_added_or_replaced_changes_every_cache_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scoping_review.report.figures import renderer

    spec = {"mark": "bar", "data": {"values": [{"a": 1}]}}
    monkeypatch.setattr(renderer, "FONT_DIRS", (str(tmp_path),))

    def key() -> str:
        renderer.fonts_fingerprint.cache_clear()
        renderer.renderer_version.cache_clear()
        return spec_key(spec, "svg")

    before = key()
    (tmp_path / "Extra.ttf").write_bytes(b"font")
    added = key()
    (tmp_path / "Extra.ttf").write_bytes(b"other font")
    assert len({before, added, key()}) == 3
    renderer.fonts_fingerprint.cache_clear()
    renderer.renderer_version.cache_clear()
