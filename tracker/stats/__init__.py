"""The statistics engine: per-arm summaries in, frozen result dataclasses out.

Pure by rule (a test enforces it): imports only numpy, scipy, pandas, statsmodels and the
standard library — never Flask, SQLModel or another `tracker` module. Methods come from
statsmodels and scipy; the few formulas no library has live in named functions with their
references. Data problems come back as coded health findings inside results, never raised.

Importing this package is cheap: the result and summary types load eagerly, everything else
(and with it scipy and statsmodels) on first use of a name.

Modules, one concern each:

- inputs and outputs: `summaries`, `results`;
- arm versus control: `binary`, `continuous`, `counts`; derived effects: `lift`;
- across iterations: `iterations` (k versus k − 1), `omnibus` (all equal?), `trend`;
- unit-level models: `regression` (careful OLS), `adjusted` (ANCOVA, CUPED, strata, DiD);
- `multiplicity` (Holm, Benjamini–Hochberg), `health` and `balance` (checks),
  `power` and `power_means` (planning), `sequential` (confidence sequences);
- `intervals`: sidedness plumbing shared by the others.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from tracker.stats.results import (
    Alternative,
    Coefficient,
    EffectResult,
    HealthFinding,
    Mode,
    OmnibusResult,
    PowerResult,
    RegressionResult,
    RelativeLift,
)
from tracker.stats.summaries import CountSummary, MeanSummary, ProportionSummary, Summary

if TYPE_CHECKING:
    from tracker.stats.adjusted import AdjustedOptions, adjusted_effect, difference_in_differences
    from tracker.stats.balance import (
        baseline_balance,
        sample_ratio_mismatch,
        sample_ratio_test,
        standardised_mean_difference,
    )
    from tracker.stats.binary import ProportionOptions, compare_proportions
    from tracker.stats.continuous import (
        MeanOptions,
        RankOptions,
        compare_distributions,
        compare_means,
    )
    from tracker.stats.counts import RateOptions, compare_rates
    from tracker.stats.iterations import compare_arm_across_iterations, difference_of_effects
    from tracker.stats.lift import difference_of_independent_estimates, relative_lift
    from tracker.stats.multiplicity import adjust_p_values
    from tracker.stats.omnibus import omnibus_means, omnibus_proportions, oneway_anova_from_values
    from tracker.stats.power import (
        design_effect,
        mde_two_proportions,
        power_two_proportions,
        sample_size_two_proportions,
    )
    from tracker.stats.power_means import mde_two_means, power_two_means, sample_size_two_means
    from tracker.stats.regression import linear_regression
    from tracker.stats.sequential import SequentialOptions
    from tracker.stats.trend import trend_in_effects, trend_in_proportions, trend_over_iterations

_LAZY = {
    "tracker.stats.adjusted": ("AdjustedOptions", "adjusted_effect", "difference_in_differences"),
    "tracker.stats.balance": (
        "baseline_balance",
        "sample_ratio_mismatch",
        "sample_ratio_test",
        "standardised_mean_difference",
    ),
    "tracker.stats.binary": ("ProportionOptions", "compare_proportions"),
    "tracker.stats.continuous": (
        "MeanOptions",
        "RankOptions",
        "compare_distributions",
        "compare_means",
    ),
    "tracker.stats.counts": ("RateOptions", "compare_rates"),
    "tracker.stats.iterations": ("compare_arm_across_iterations", "difference_of_effects"),
    "tracker.stats.lift": ("difference_of_independent_estimates", "relative_lift"),
    "tracker.stats.multiplicity": ("adjust_p_values",),
    "tracker.stats.omnibus": ("omnibus_means", "omnibus_proportions", "oneway_anova_from_values"),
    "tracker.stats.power": (
        "design_effect",
        "mde_two_proportions",
        "power_two_proportions",
        "sample_size_two_proportions",
    ),
    "tracker.stats.power_means": ("mde_two_means", "power_two_means", "sample_size_two_means"),
    "tracker.stats.regression": ("linear_regression",),
    "tracker.stats.sequential": ("SequentialOptions",),
    "tracker.stats.trend": ("trend_in_effects", "trend_in_proportions", "trend_over_iterations"),
}
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> Any:
    """Load the defining module on first use, so `import tracker.stats` stays cheap."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'tracker.stats' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AdjustedOptions",
    "Alternative",
    "Coefficient",
    "CountSummary",
    "EffectResult",
    "HealthFinding",
    "MeanOptions",
    "MeanSummary",
    "Mode",
    "OmnibusResult",
    "PowerResult",
    "ProportionOptions",
    "ProportionSummary",
    "RankOptions",
    "RateOptions",
    "RegressionResult",
    "RelativeLift",
    "SequentialOptions",
    "Summary",
    "adjust_p_values",
    "adjusted_effect",
    "baseline_balance",
    "compare_arm_across_iterations",
    "compare_distributions",
    "compare_means",
    "compare_proportions",
    "compare_rates",
    "design_effect",
    "difference_in_differences",
    "difference_of_effects",
    "difference_of_independent_estimates",
    "linear_regression",
    "mde_two_means",
    "mde_two_proportions",
    "omnibus_means",
    "omnibus_proportions",
    "oneway_anova_from_values",
    "power_two_means",
    "power_two_proportions",
    "relative_lift",
    "sample_ratio_mismatch",
    "sample_ratio_test",
    "sample_size_two_means",
    "sample_size_two_proportions",
    "standardised_mean_difference",
    "trend_in_effects",
    "trend_in_proportions",
    "trend_over_iterations",
]
