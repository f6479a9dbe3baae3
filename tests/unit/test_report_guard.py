"""The build-time guard: numbers in the HTML must come from the ledger."""

from __future__ import annotations

import pytest

from scoping_review.report.counts import format_count
from scoping_review.report.guard import check_html

VALUES = {"new_studies": 36, "chart.country.canada": 12, "zero": 0}


def page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>"


def count(cid: str, shown: str, den: str | None = None) -> str:
    extra = f' data-denominator-id="{den}"' if den else ""
    return f'<span class="count" data-count-id="{cid}"{extra}>{shown}</span>'


def test_clean_page_passes() -> None:
    html = page(
        f"<p>We included {count('new_studies', '36')} studies, "
        f"{count('chart.country.canada', '33%', 'new_studies')} from Canada.</p>"
        '<p>Searched <span data-literal="date">2024-03-01</span>.</p>'
        "<script>var x = 123;</script><style>p { margin: 0 2px; }</style>"
        '<div data-literal="figure"><svg><text>10</text><rect width="5"/></svg></div>'
        '<img alt="flow diagram" src="data:image/png;base64,AAAA">'
    )
    report = check_html(html, VALUES)
    assert report.n_counts == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<p>We included 36 studies.</p>", "'We included 36 studies.'"),
        ("<td>42</td>", "'42'"),
        ("<p>Found &#51;&#54; studies</p>", "36"),  # character references are decoded first
        ("<p>Two² studies</p>", "Two²"),
        (count("new_studies", "35"), "shows '35' but the ledger value is '36'"),
        (count("new_studies", "n = 36"), "shows 'n = 36'"),
        (count("chart.country.canada", "34%", "new_studies"), "ledger percentage is '33%'"),
        (count("not_in_ledger", "1"), "unknown count id 'not_in_ledger'"),
        (count("new_studies", "36", "missing_den"), "unknown count id 'missing_den'"),
        ('<span data-denominator-id="new_studies">9%</span>', "without data-count-id"),
        (count("new_studies", count("zero", "0")), "nested inside another count"),
        ('<abbr title="36 studies">many</abbr>', "attribute title"),
        ("<ol><li>first</li></ol>", "<ol>"),
        ('<span data-count-id="new_studies"/>', "shows ''"),
        ("<p>text</div></p>", "end tag </div> without a start tag"),
        ('<ol class="steps"><li>first</li></ol>', "<ol>"),
    ],
)
def test_guard_failures(body: str, message: str) -> None:
    with pytest.raises(ValueError, match="report guard") as info:
        check_html(page(body), VALUES)
    assert message in str(info.value)


def test_literal_covers_descendants_but_counts_are_still_checked() -> None:
    ok = page('<div data-literal="claim"><p>In 2019, <b>12</b> trials</p></div>')
    check_html(ok, VALUES)
    bad = page(f'<div data-literal="claim">{count("new_studies", "99")}</div>')
    with pytest.raises(ValueError, match="shows '99'"):
        check_html(bad, VALUES)


def test_all_offences_are_reported_together() -> None:
    with pytest.raises(ValueError) as info:
        check_html(page("<p>1</p><p>2</p>" + count("nope", "3")), VALUES)
    text = str(info.value)
    assert "'1'" in text and "'2'" in text and "'nope'" in text


@pytest.mark.parametrize(
    ("value", "shown"),
    [(417, "0.417"), (-53, "-0.053"), (1000, "1.000"), (0, "0.000"), (5, "0.005")],
)
def test_thousandths_are_shown_as_decimals(value: int, shown: str) -> None:
    assert format_count(value, "thousandths") == shown
    assert format_count(value) == str(value)
    html = page(f"<td>{count('agreement.ta.kappa', shown)}</td>")
    values, units = {"agreement.ta.kappa": value}, {"agreement.ta.kappa": "thousandths"}
    assert check_html(html, values, units).n_counts == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # the raw integer, another rounding, or the decimal of a count not in thousandths fail
        (count("agreement.ta.kappa", "417"), "shows '417' but the ledger value is '0.417'"),
        (count("agreement.ta.kappa", "0.42"), "shows '0.42'"),
        (count("new_studies", "0.036"), "shows '0.036' but the ledger value is '36'"),
        ("<td>0.417</td>", "number outside a ledger count: '0.417'"),
    ],
)
def test_thousandths_guard_accepts_only_the_decimal(body: str, message: str) -> None:
    values = {**VALUES, "agreement.ta.kappa": 417}
    units = {"agreement.ta.kappa": "thousandths", "new_studies": "studies"}
    with pytest.raises(ValueError, match="report guard") as info:
        check_html(page(body), values, units)
    assert message in str(info.value)
