"""Percent agreement, Cohen's kappa and Gwet's AC1 against hand computations."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoping_review import agreement as agr


def table(*cells: tuple[str, str, int]) -> list[tuple[str, str]]:
    """Pairs from a contingency table: (reviewer A's decision, B's decision, how many)."""
    return [(a, b) for a, b, k in cells for _ in range(k)]


def test_two_by_two_textbook_example() -> None:
    # 50 items: both yes 20, A yes/B no 5, A no/B yes 10, both no 15.
    pairs = table(("yes", "yes", 20), ("yes", "no", 5), ("no", "yes", 10), ("no", "no", 15))
    # p_o = 35/50; A says yes 25/50, B 30/50: p_e = .5*.6 + .5*.4 = .5; kappa = .2/.5
    assert agr.percent_agreement(pairs) == Fraction(7, 10)
    assert agr.cohen_kappa(pairs) == Fraction(2, 5)
    # AC1: pi_yes = (.5+.6)/2 = .55; p_e = (.55*.45 + .45*.55)/(2-1) = .495;
    # AC1 = (.7 - .495)/(1 - .495) = .205/.505 = 41/101
    assert agr.gwet_ac1(pairs) == Fraction(41, 101)
    assert agr.thousandths(agr.gwet_ac1(pairs)) == 406


def test_dual_review_title_abstract_by_hand() -> None:
    # tests/data/dual_review: AB and CD on 7 studies; they disagree on two.
    pairs = table(
        ("include", "include", 3),  # r1, r2, b4
        ("exclude", "exclude", 2),  # r3, b3
        ("exclude", "include", 1),  # r4
        ("include", "exclude", 1),  # b2
    )
    # p_o = 5/7; both include 4/7, exclude 3/7: p_e = 16/49 + 9/49 = 25/49
    # kappa = (35/49 - 25/49) / (24/49) = 10/24
    assert agr.cohen_kappa(pairs) == Fraction(5, 12)
    # pi_include = 4/7, pi_exclude = 3/7: p_e = 2 * 12/49 / (2-1) = 24/49
    # AC1 = (35/49 - 24/49) / (25/49) = 11/25
    assert agr.gwet_ac1(pairs) == Fraction(11, 25)
    stats = agr.agreement(pairs)
    assert (stats.n_compared, stats.n_agreed) == (7, 5)
    assert [agr.thousandths(v) for v in (stats.percent, stats.kappa, stats.ac1)] == [714, 417, 440]


def test_dual_review_full_text_three_categories_by_hand() -> None:
    pairs = table(
        ("include", "include", 1),  # r1
        ("include", "exclude", 1),  # r2 (the unresolved conflict)
        ("not_retrieved", "not_retrieved", 1),  # b2
        ("exclude", "exclude", 1),  # b4
    )
    # p_o = 3/4. A: include 2/4, exclude 1/4, nr 1/4; B: include 1/4, exclude 2/4, nr 1/4
    # p_e = 2/16 + 2/16 + 1/16 = 5/16; kappa = (12/16 - 5/16) / (11/16) = 7/11
    assert agr.cohen_kappa(pairs) == Fraction(7, 11)
    # pi = include 3/8, exclude 3/8, nr 2/8; sum pi(1-pi) = 15/64 + 15/64 + 12/64 = 42/64;
    # q = 3: p_e = 21/64; AC1 = (48/64 - 21/64) / (43/64) = 27/43
    assert agr.gwet_ac1(pairs) == Fraction(27, 43)
    assert agr.thousandths(Fraction(27, 43)) == 628


def test_kappa_paradox_high_agreement_low_kappa() -> None:
    # 100 items: 90 both include, 5 + 5 disagreements, none both exclude.
    pairs = table(("inc", "inc", 90), ("inc", "exc", 5), ("exc", "inc", 5))
    # p_e = .95^2 + .05^2 = .905: kappa = (.9 - .905)/.095 = -1/19
    assert agr.cohen_kappa(pairs) == Fraction(-1, 19)
    # AC1: p_e = 2 * .95 * .05 = .095: (.9 - .095)/.905 = 161/181
    assert agr.gwet_ac1(pairs) == Fraction(161, 181)
    assert agr.thousandths(Fraction(-1, 19)) == -53  # half away from zero


def test_fixed_categories_change_q() -> None:
    pairs = table(("yes", "yes", 20), ("yes", "no", 5), ("no", "yes", 10), ("no", "no", 15))
    # q = 3 (a "maybe" nobody used): p_e = .495 / 2 = .2475; AC1 = .4525/.7525 = 181/301
    assert agr.gwet_ac1(pairs, ("yes", "no", "maybe")) == Fraction(181, 301)
    with pytest.raises(ValueError, match="not among categories"):
        agr.gwet_ac1(pairs, ("yes",))


def test_degenerate_cases() -> None:
    same = table(("include", "include", 4))
    assert agr.cohen_kappa(same) is None  # p_e = 1: undefined
    assert agr.gwet_ac1(same) == 1
    assert agr.cohen_kappa([]) is None and agr.gwet_ac1([]) is None
    assert agr.agreement([]).percent is None
    assert agr.thousandths(None) is None
    assert agr.thousandths(Fraction(8811, 20000)) == 441  # 440.55 rounds half up


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=1))
def test_bounds_and_symmetry(pairs: list[tuple[str, str]]) -> None:
    swapped = [(b, a) for a, b in pairs]
    kappa, ac1 = agr.cohen_kappa(pairs), agr.gwet_ac1(pairs)
    assert kappa == agr.cohen_kappa(swapped) and ac1 == agr.gwet_ac1(swapped)
    assert ac1 is not None and -1 <= ac1 <= 1
    if kappa is not None:
        assert -1 <= kappa <= 1
    if all(a == b for a, b in pairs):
        assert ac1 == 1 and kappa in (None, 1)
