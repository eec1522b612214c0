"""How many synthetic rows a tree student draws when its real rows are few.

``augment_factor="auto"`` (the tree student's default) draws
:data:`BASE_FACTOR` augmented rows per real row from :data:`SMALL_SAMPLE_ROWS`
real rows up: the fixed default it replaces, so a fit on that many rows is
unchanged. Below, the factor rises until the real and augmented rows together
reach :data:`TRANSFER_FLOOR`, at most to :data:`MAX_FACTOR` (and never below
:data:`BASE_FACTOR`). ``benchmarks/few_rows.py`` measured the rule
(``reports/benchmarks/few_rows.md``): with 100 to 200 real rows, MUNGE at 100 to
200 rows per real row ranks risk closer to the tree grown from all rows than at
20; from 500 real rows no factor did better than 20. A number given for
``augment_factor`` is used as given.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = [
    "BASE_FACTOR",
    "MAX_FACTOR",
    "SMALL_SAMPLE_ROWS",
    "TRANSFER_FLOOR",
    "augment_factor_of",
    "choose_augment_factor",
    "record_augment_factor",
]

#: Augmented rows per real row from :data:`SMALL_SAMPLE_ROWS` real rows up.
BASE_FACTOR = 20.0
#: The transfer-row budget of a small sample: the factor rises until the real
#: and augmented rows together reach it.
TRANSFER_FLOOR = 20_000
#: The largest factor the rule chooses (50 real rows: 10,050 transfer rows).
MAX_FACTOR = 200.0
#: Below this many real rows the factor rises above :data:`BASE_FACTOR`.
SMALL_SAMPLE_ROWS = 400


def choose_augment_factor(value, n_rows: int | None) -> tuple[float, str]:
    """The factor a fit on ``n_rows`` real rows uses, and why, in words.

    ``value`` is the estimator's ``augment_factor``: a number is returned as
    given; ``"auto"`` applies the rule of this module (``n_rows=None``: a data
    set too large to count first, such as a Dask DataFrame's).
    """
    if not isinstance(value, str):
        return float(value), f"given: {float(value):g} augmented rows per real row"
    if n_rows is None:
        return BASE_FACTOR, (
            f"auto: {BASE_FACTOR:g} augmented rows per real row (a large data set)"
        )
    n = max(int(n_rows), 1)
    if n >= SMALL_SAMPLE_ROWS:
        return BASE_FACTOR, (
            f"auto: {n:,} real rows (at least {SMALL_SAMPLE_ROWS:,}), "
            f"{BASE_FACTOR:g} augmented rows per real row"
        )
    needed = math.ceil(TRANSFER_FLOOR / n) - 1.0
    factor = float(min(MAX_FACTOR, max(BASE_FACTOR, needed)))
    why = (
        f"auto: only {n:,} real rows (fewer than {SMALL_SAMPLE_ROWS:,}), so "
        f"{factor:g} augmented rows per real row"
    )
    if factor < needed:
        why += f" (at most {MAX_FACTOR:g}; {n * (1 + factor):,.0f} transfer rows)"
    else:
        why += f" to reach {TRANSFER_FLOOR:,} transfer rows"
    return factor, why


def record_augment_factor(model, n_rows: int) -> int:
    """Set ``augment_factor_`` and ``augment_rule_`` on ``model`` for a fit on
    ``n_rows`` real rows; return how many augmented rows to draw."""
    factor, why = choose_augment_factor(model.augment_factor, n_rows)
    if model.augmentation == "none":
        factor, why = 0.0, "augmentation 'none': the real rows alone"
    model.augment_factor_ = factor
    model.augment_rule_ = why
    return int(round(factor * n_rows))


def augment_factor_of(model, n_rows: int | None = None) -> float:
    """The factor ``model`` used in its fit (``augment_factor_``), else what its
    ``augment_factor`` gives for ``n_rows`` real rows (``None``: a sample at
    least :data:`SMALL_SAMPLE_ROWS` long)."""
    fitted = getattr(model, "augment_factor_", None)
    if isinstance(fitted, Real):
        return float(fitted)
    n = SMALL_SAMPLE_ROWS if n_rows is None else n_rows
    return choose_augment_factor(model.augment_factor, n)[0]
