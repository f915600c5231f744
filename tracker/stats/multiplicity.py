"""Multiple-testing adjustment over the family of comparisons a plan declares.

`statsmodels.stats.multitest.multipletests(p, method=...)` with the method always named
explicitly: "holm" → statsmodels "holm" (Holm 1979, step-down Bonferroni) and
"benjamini_hochberg" → "fdr_bh" (Benjamini & Hochberg 1995). statsmodels' default is
Holm–Šidák, which the plan never asks for, so there is deliberately no default here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

AdjustmentMethod = Literal["holm", "benjamini_hochberg", "none"]

_STATSMODELS_NAMES = {"holm": "holm", "benjamini_hochberg": "fdr_bh"}


def adjust_p_values(p_values: Sequence[float], method: AdjustmentMethod) -> tuple[float, ...]:
    """Adjusted p-values in the input order.

    Missing or impossible p-values (NaN, outside [0, 1]) stay NaN and are left out of the
    family, so one failed comparison does not change the others' adjustment silently — the
    failed comparison carries its own health finding. An unknown method name is a programming
    error and raises ValueError.
    """
    if method == "none":
        return tuple(float(p) if 0 <= p <= 1 else math.nan for p in p_values)
    if method not in _STATSMODELS_NAMES:
        raise ValueError(f"unknown multiple-testing method {method!r}")
    from statsmodels.stats.multitest import multipletests

    values = np.asarray(p_values, dtype=float)
    valid = np.isfinite(values) & (values >= 0) & (values <= 1)
    adjusted = np.full(values.shape, math.nan)
    if valid.any():
        adjusted[valid] = multipletests(values[valid], method=_STATSMODELS_NAMES[method])[1]
    return tuple(float(p) for p in adjusted)
