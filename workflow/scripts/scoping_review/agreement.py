"""Inter-rater agreement for two reviewers: percent agreement, Cohen's kappa, Gwet's AC1.

Each statistic takes the paired decisions of two reviewers on the same items, computed with
exact fractions so equal inputs give equal numbers on every machine.

* percent agreement ``p_o`` = items with the same decision / items compared;
* Cohen's kappa ``(p_o - p_e) / (1 - p_e)`` with ``p_e = sum_k pA_k * pB_k`` (each reviewer's
  own share of category ``k``); undefined (``None``) when ``p_e == 1`` (both reviewers used one
  and the same category for every item);
* Gwet's AC1 ``(p_o - p_e) / (1 - p_e)`` with ``p_e = 1/(q-1) * sum_k pi_k * (1 - pi_k)``,
  ``pi_k = (pA_k + pB_k) / 2`` and ``q`` the number of categories (those either reviewer used,
  at least two, unless the caller names them).

References: Cohen (1960), Educ Psychol Meas 20:37-46; Gwet (2008), Br J Math Stat Psychol
61:29-48.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

Pair = tuple[str, str]


@dataclass(frozen=True)
class Agreement:
    """Agreement between two reviewers on ``n_compared`` items."""

    n_compared: int
    n_agreed: int
    categories: tuple[str, ...]
    percent: Fraction | None  # p_o as a fraction in [0, 1]
    kappa: Fraction | None
    ac1: Fraction | None


def _shares(pairs: Sequence[Pair], side: int) -> Counter[str]:
    return Counter(p[side] for p in pairs)


def percent_agreement(pairs: Sequence[Pair]) -> Fraction | None:
    if not pairs:
        return None
    return Fraction(sum(a == b for a, b in pairs), len(pairs))


def cohen_kappa(pairs: Sequence[Pair]) -> Fraction | None:
    """Cohen's kappa; ``None`` when there are no pairs or chance agreement is certain."""
    po = percent_agreement(pairs)
    if po is None:
        return None
    n = len(pairs)
    a, b = _shares(pairs, 0), _shares(pairs, 1)
    pe = sum((Fraction(a[k], n) * Fraction(b[k], n) for k in a.keys() | b.keys()), Fraction(0))
    if pe == 1:
        return None
    return (po - pe) / (1 - pe)


def gwet_ac1(pairs: Sequence[Pair], categories: Sequence[str] = ()) -> Fraction | None:
    """Gwet's AC1; ``categories`` fixes ``q`` (default: categories used, at least two)."""
    po = percent_agreement(pairs)
    if po is None:
        return None
    n = len(pairs)
    a, b = _shares(pairs, 0), _shares(pairs, 1)
    used = a.keys() | b.keys()
    unknown = used - set(categories) if categories else set()
    if unknown:
        raise ValueError(f"decisions {sorted(unknown)} are not among categories {categories}")
    q = max(2, len(categories) if categories else len(used))
    pe = sum(
        (Fraction(a[k] + b[k], 2 * n) * (1 - Fraction(a[k] + b[k], 2 * n)) for k in used),
        Fraction(0),
    ) / (q - 1)
    return (po - pe) / (1 - pe)


def agreement(pairs: Sequence[Pair], categories: Sequence[str] = ()) -> Agreement:
    used = sorted({k for pair in pairs for k in pair})
    return Agreement(
        n_compared=len(pairs),
        n_agreed=sum(a == b for a, b in pairs),
        categories=tuple(categories) if categories else tuple(used),
        percent=percent_agreement(pairs),
        kappa=cohen_kappa(pairs),
        ac1=gwet_ac1(pairs, categories),
    )


def thousandths(value: Fraction | None) -> int | None:
    """``value`` × 1000 rounded half away from zero (how the ledger stores a statistic)."""
    if value is None:
        return None
    scaled = Decimal(value.numerator * 1000) / Decimal(value.denominator)
    return int(scaled.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def as_float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)
