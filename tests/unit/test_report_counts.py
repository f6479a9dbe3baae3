"""The ledger accessor: n(), pct(), author text, and the no-numbers-in-context rule."""

from __future__ import annotations

import polars as pl
import pytest
from markupsafe import Markup

from scoping_review.normalize import slug
from scoping_review.report.counts import (
    Ledger,
    MissingCountError,
    author_text,
    format_pct,
    literal,
)
from scoping_review.report.render import check_context
from support.report_sample import sample_ledger


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return Ledger(sample_ledger())


def test_n_renders_a_count_span(ledger: Ledger) -> None:
    html = ledger.n("new_studies")
    assert isinstance(html, Markup)
    assert html == (
        '<span class="count" data-count-id="new_studies" tabindex="0" role="button">10</span>'
    )


def test_pct_ties_numerator_and_denominator(ledger: Ledger) -> None:
    html = ledger.pct("chart.country.canada", "new_studies")
    assert 'data-count-id="chart.country.canada"' in html
    assert 'data-denominator-id="new_studies"' in html
    assert html.endswith(">40%</span>")


def test_missing_count_names_the_id(ledger: Ledger) -> None:
    with pytest.raises(MissingCountError, match="'no_such_count'"):
        ledger.n("no_such_count")
    with pytest.raises(MissingCountError, match="'nope'"):
        ledger.pct("new_studies", "nope")


@pytest.mark.parametrize(
    ("num", "den", "shown"),
    [(1, 3, "33%"), (2, 3, "67%"), (1, 8, "13%"), (1, 200, "1%"), (1, 201, "0%"), (5, 0, "–")],
)
def test_format_pct_rounds_half_up(num: int, den: int, shown: str) -> None:
    assert format_pct(num, den) == shown


def test_slug_matches_the_ledger_rule() -> None:
    assert slug("(Perceived) disinterest therapist") == "perceived_disinterest_therapist"
    assert slug("Café – Québec") == "cafe_quebec"
    # one rule everywhere; a reviewer name with nothing left is "_" in worklist count ids
    assert slug("—") == "" and slug("—", empty="_") == "_"


def test_ledger_rejects_a_count_whose_ids_do_not_add_up() -> None:
    frame = sample_ledger().with_columns(
        pl.when(pl.col("count_id") == "new_studies")
        .then(pl.lit(11, dtype=pl.Int64))
        .otherwise(pl.col("value"))
        .alias("value")
    )
    with pytest.raises(ValueError, match="new_studies"):
        Ledger(frame)


def test_author_text_tokens_and_literals(ledger: Ledger) -> None:
    html = author_text(
        "We found [[n:new_studies]] studies; [[pct:chart.rows/new_studies]].", ledger
    )
    assert 'data-count-id="new_studies"' in html
    assert ">100%</span>" in html
    assert "data-literal" not in html  # no digits of its own
    quoted = author_text("Registered on 2023-01-05 <b>", ledger)
    assert quoted == '<span data-literal="author text">Registered on 2023-01-05 &lt;b&gt;</span>'
    with pytest.raises(MissingCountError):
        author_text("[[n:missing.count]]", ledger)


def test_literal_escapes() -> None:
    assert literal("<2024>", "date") == '<span data-literal="date">&lt;2024&gt;</span>'


def test_context_may_not_carry_numbers(ledger: Ledger) -> None:
    check_context({"a": ["x", Markup("<b>1</b>")], "ok": True, "f": ledger.n})
    with pytest.raises(TypeError, match=r"context\['rows'\]\[0\]\['n'\]"):
        check_context({"rows": [{"n": 3}]})
    with pytest.raises(TypeError):
        check_context({"share": 0.5})
