"""Frozen result types the engine returns: what was estimated, how, and what looked wrong.

Every result names its method and carries the options it ran with, so a stored result can be
re-run and explained. Data problems never raise: they come back as `HealthFinding`s inside the
result, with a code for programs and a sentence for people (the gbstats habit: coded results,
not exceptions).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Alternative = Literal["two_sided", "greater", "less"]
"""Sidedness of a test: `greater` means the treatment (or later iteration) is higher."""

Mode = Literal["fixed_horizon", "sequential"]
"""Fixed-horizon intervals assume one look; sequential ones stay valid however often you look."""

Severity = Literal["info", "warning", "error"]
"""`error`: no trustworthy number could be produced; `warning`: read the number with care."""

Scale = Literal["difference", "ratio", "probability", "slope"]
"""How to read `estimate`; for `ratio` the `se` is the standard error of log(estimate)."""

OptionValue = str | int | float | bool | None | tuple[str, ...] | tuple[float, ...]


@dataclass(frozen=True)
class HealthFinding:
    """One explained warning about the data or the calculation (never an exception)."""

    code: str
    severity: Severity
    message: str
    details: Mapping[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class RelativeLift:
    """Treatment relative to control, (t − c) / c, with a delta-method interval."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    method: str = "delta_method"


@dataclass(frozen=True)
class EffectResult:
    """An effect estimate with its interval and p-value, as produced by one named method.

    `n` holds the per-arm sample sizes in the order (control, treatment) — or, for
    across-iteration comparisons, (earlier, later). `arm_values` holds the per-arm quantity
    that was compared (rates, means), in the same order.
    """

    method: str
    options: Mapping[str, OptionValue]
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n: tuple[float, ...]
    health: tuple[HealthFinding, ...] = ()
    scale: Scale = "difference"
    alpha: float = 0.05
    alternative: Alternative = "two_sided"
    mode: Mode = "fixed_horizon"
    statistic: float = math.nan
    df: float = math.nan
    arm_values: tuple[float, ...] = ()
    relative_lift: RelativeLift | None = None

    @property
    def ok(self) -> bool:
        """True when a finite estimate was produced and no finding is an error."""
        return math.isfinite(self.estimate) and not any(
            finding.severity == "error" for finding in self.health
        )


@dataclass(frozen=True)
class OmnibusResult:
    """A test of "all groups equal" (ANOVA, k-sample chi-squared, goodness of fit).

    `details` holds method-specific numbers, e.g. for ANOVA `ss_between`, `ss_within`,
    `ms_between`, `ms_within`, `r_squared` and `residual_sd`.
    """

    method: str
    options: Mapping[str, OptionValue]
    statistic: float
    df: tuple[float, ...]
    p_value: float
    n: tuple[float, ...]
    health: tuple[HealthFinding, ...] = ()
    details: Mapping[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when a finite statistic was produced and no finding is an error."""
        return math.isfinite(self.statistic) and not any(
            finding.severity == "error" for finding in self.health
        )


@dataclass(frozen=True)
class Coefficient:
    """One regression coefficient with its standard error, interval and p-value."""

    name: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class RegressionResult:
    """A fitted linear model: the coefficients on the caller's original scale and fit summary."""

    method: str
    options: Mapping[str, OptionValue]
    coefficients: tuple[Coefficient, ...]
    nobs: int
    df_resid: float
    residual_sd: float
    r_squared: float
    ss_regression: float
    ss_residual: float
    health: tuple[HealthFinding, ...] = ()

    def coefficient(self, name: str) -> Coefficient:
        """The coefficient called `name` (KeyError if the model has none)."""
        for coefficient in self.coefficients:
            if coefficient.name == name:
                return coefficient
        raise KeyError(name)


@dataclass(frozen=True)
class PowerResult:
    """A planning answer: sample sizes, power and effect for one design.

    Sample sizes are per arm and not rounded (as R prints them); `*_required` round up to
    whole people (or whole clusters, when a design effect is used).
    """

    method: str
    options: Mapping[str, OptionValue]
    n_control: float
    n_treatment: float
    power: float
    effect: float
    alpha: float
    alternative: Alternative
    design_effect: float = 1.0
    health: tuple[HealthFinding, ...] = ()

    @property
    def n_total(self) -> float:
        """Both arms together."""
        return self.n_control + self.n_treatment

    @property
    def n_control_required(self) -> int:
        """Control arm size rounded up to whole units (0 when unknown)."""
        return math.ceil(self.n_control) if math.isfinite(self.n_control) else 0

    @property
    def n_treatment_required(self) -> int:
        """Treatment arm size rounded up to whole units (0 when unknown)."""
        return math.ceil(self.n_treatment) if math.isfinite(self.n_treatment) else 0


def failed_effect(
    method: str,
    options: Mapping[str, OptionValue],
    n: tuple[float, ...],
    health: tuple[HealthFinding, ...],
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
    scale: Scale = "difference",
) -> EffectResult:
    """The result to return when the data cannot support an estimate: all numbers NaN."""
    nan = math.nan
    return EffectResult(
        method=method,
        options=options,
        estimate=nan,
        se=nan,
        ci_low=nan,
        ci_high=nan,
        p_value=nan,
        n=n,
        health=health,
        scale=scale,
        alpha=alpha,
        alternative=alternative,
    )


def failed_omnibus(
    method: str,
    options: Mapping[str, OptionValue],
    n: tuple[float, ...],
    health: tuple[HealthFinding, ...],
) -> OmnibusResult:
    """The omnibus result to return when the data cannot support a test."""
    return OmnibusResult(method, options, math.nan, (), math.nan, n, health)


def describe_options(options: object, **extra: OptionValue) -> dict[str, OptionValue]:
    """Flatten an options dataclass into the plain dict a result records.

    A nested `SequentialOptions` becomes `sequential_planned_sample_size` (None when absent).
    """
    from dataclasses import fields, is_dataclass

    described: dict[str, OptionValue] = {}
    if is_dataclass(options):
        for option in fields(options):
            value = getattr(options, option.name)
            if option.name == "sequential":
                planned = getattr(value, "planned_sample_size", None)
                described["sequential_planned_sample_size"] = (
                    None if planned is None else float(planned)
                )
            elif isinstance(value, tuple):
                described[option.name] = tuple(str(item) for item in value)
            else:
                described[option.name] = value
    described.update(extra)
    return described
