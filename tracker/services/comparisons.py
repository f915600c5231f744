"""Every comparison of a pilot, as rows: arm vs control within each iteration, and across them.

Confirmatory rows are the arm-versus-control comparisons of metrics the locked plan names as
primary or secondary; their p-values are adjusted (Holm or Benjamini–Hochberg, as the plan
says) within each iteration. Everything else — metrics outside the plan, guardrails, runs
without a locked plan, and the across-iteration comparisons a plan does not pre-register — is
labelled exploratory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

from tracker.services.analysis_inputs import (
    CONFIRMATORY_ROLES,
    ArmInput,
    IterationInput,
    PilotInput,
    PlanInput,
)
from tracker.stats import (
    CountSummary,
    EffectResult,
    HealthFinding,
    MeanOptions,
    MeanSummary,
    OmnibusResult,
    ProportionOptions,
    ProportionSummary,
    RateOptions,
    SequentialOptions,
    Summary,
    adjust_p_values,
    compare_arm_across_iterations,
    compare_means,
    compare_proportions,
    compare_rates,
    difference_of_effects,
    omnibus_means,
    omnibus_proportions,
    oneway_anova_from_values,
    sample_ratio_mismatch,
    trend_in_effects,
)

DEFAULT_ALPHA = 0.05
# A plan's `test` for a binary metric names the test, or the effect measure to report.
BINARY_TESTS = {"fisher_exact": "fisher_exact", "chi_squared": "chi_squared"}
BINARY_EFFECTS = {"odds_ratio": "odds_ratio", "risk_ratio": "risk_ratio"}


@dataclass(frozen=True)
class ComparisonRow:
    """One comparison as `tracker analyse --json` prints it and the pages show it."""

    comparison: str
    metric: str
    iteration: int | None
    arm: str
    baseline: str
    method: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float | None
    relative_lift: float | None
    relative_lift_ci: tuple[float, float] | None
    n: tuple[float, ...]
    scale: str
    mode: str
    alpha: float
    alternative: str
    options: dict[str, Any]
    health: tuple[HealthFinding, ...]
    plan_hash: str | None
    exploratory: bool
    role: str | None = None
    details: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: snake_case keys, non-finite numbers as null."""
        return {
            "comparison": self.comparison,
            "metric": self.metric,
            "iteration": self.iteration,
            "arm": self.arm,
            "baseline": self.baseline,
            "method": self.method,
            "estimate": _finite(self.estimate),
            "se": _finite(self.se),
            "ci_low": _finite(self.ci_low),
            "ci_high": _finite(self.ci_high),
            "p_value": _finite(self.p_value),
            "p_adjusted": _finite(self.p_adjusted),
            "relative_lift": _finite(self.relative_lift),
            "relative_lift_ci": [_finite(v) for v in self.relative_lift_ci]
            if self.relative_lift_ci
            else None,
            "n": [_finite(value) for value in self.n],
            "scale": self.scale,
            "mode": self.mode,
            "alpha": self.alpha,
            "alternative": self.alternative,
            "options": {key: _json_value(value) for key, value in self.options.items()},
            "health": [
                {"code": f.code, "severity": f.severity, "message": f.message} for f in self.health
            ],
            "plan_hash": self.plan_hash,
            "exploratory": self.exploratory,
            "role": self.role,
            "details": {key: _finite(value) for key, value in self.details.items()},
        }


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, float):
        return _finite(value)
    return value


def _options_for(
    kind: str, test: str, plan: PlanInput | None, planned_n: float | None
) -> ProportionOptions | MeanOptions | RateOptions:
    """The engine options the plan asks for (fixed-horizon defaults without a plan)."""
    alpha = plan.alpha if plan else DEFAULT_ALPHA
    alternative: Any = plan.alternative if plan else "two_sided"
    sequential = (
        SequentialOptions(planned_sample_size=planned_n)
        if plan is not None and plan.sequential and planned_n
        else None
    )
    if kind == "binary":
        return ProportionOptions(
            alpha=alpha,
            alternative=alternative,
            effect=BINARY_EFFECTS.get(test, "difference"),  # type: ignore[arg-type]
            test=BINARY_TESTS.get(test, "z_test"),  # type: ignore[arg-type]
            sequential=sequential,
        )
    if kind == "continuous":
        return MeanOptions(
            alpha=alpha,
            alternative=alternative,
            equal_var=test in {"student_t", "pooled_t"},
            sequential=sequential,
        )
    return RateOptions(alpha=alpha, alternative=alternative, sequential=sequential)


def _compare(control: Summary, treatment: Summary, options: Any) -> EffectResult:
    if isinstance(control, ProportionSummary) and isinstance(treatment, ProportionSummary):
        return compare_proportions(control, treatment, options)
    if isinstance(control, MeanSummary) and isinstance(treatment, MeanSummary):
        return compare_means(control, treatment, options)
    assert isinstance(control, CountSummary) and isinstance(treatment, CountSummary)
    return compare_rates(control, treatment, options)


def effect_row(
    comparison: str,
    effect: EffectResult,
    *,
    metric: str,
    iteration: int | None,
    arm: str,
    baseline: str,
    plan_hash: str | None,
    exploratory: bool,
    role: str | None = None,
    extra_health: tuple[HealthFinding, ...] = (),
) -> ComparisonRow:
    lift = effect.relative_lift
    return ComparisonRow(
        comparison=comparison,
        metric=metric,
        iteration=iteration,
        arm=arm,
        baseline=baseline,
        method=effect.method,
        estimate=effect.estimate,
        se=effect.se,
        ci_low=effect.ci_low,
        ci_high=effect.ci_high,
        p_value=effect.p_value,
        p_adjusted=None,
        relative_lift=lift.estimate if lift else None,
        relative_lift_ci=(lift.ci_low, lift.ci_high) if lift else None,
        n=effect.n,
        scale=effect.scale,
        mode=effect.mode,
        alpha=effect.alpha,
        alternative=effect.alternative,
        options=dict(effect.options),
        health=extra_health + effect.health,
        plan_hash=plan_hash,
        exploratory=exploratory,
        role=role,
    )


def _omnibus_row(
    result: OmnibusResult, *, metric: str, arm: str, plan: PlanInput | None
) -> ComparisonRow:
    return ComparisonRow(
        comparison="omnibus_across_iterations",
        metric=metric,
        iteration=None,
        arm=arm,
        baseline="all iterations equal",
        method=result.method,
        estimate=result.statistic,
        se=math.nan,
        ci_low=math.nan,
        ci_high=math.nan,
        p_value=result.p_value,
        p_adjusted=None,
        relative_lift=None,
        relative_lift_ci=None,
        n=result.n,
        scale="statistic",
        mode="fixed_horizon",
        alpha=plan.alpha if plan else DEFAULT_ALPHA,
        alternative="two_sided",
        options={**dict(result.options), "df": result.df},
        health=result.health,
        plan_hash=plan.lock_hash if plan else None,
        exploratory=True,
        details=dict(result.details),
    )


def _srm(iteration: IterationInput, metric_kinds: dict[str, str]) -> tuple[HealthFinding, ...]:
    """Sample-ratio check on the first metric every arm reports (arm sizes vs planned shares)."""
    for metric in metric_kinds:
        if all(metric in arm.summaries for arm in iteration.arms) and len(iteration.arms) > 1:
            observed = [arm.summaries[metric].n for arm in iteration.arms]
            return sample_ratio_mismatch(observed, [arm.allocation for arm in iteration.arms])
    return ()


def _pair_planned_n(inputs: PilotInput, control: ArmInput, treatment: ArmInput) -> float | None:
    if inputs.planned_sample_size is None:
        return None
    return inputs.planned_sample_size * (control.allocation + treatment.allocation)


def within_iteration(
    inputs: PilotInput,
    iteration: IterationInput,
    effects: dict[tuple[int, str, str], EffectResult],
) -> list[ComparisonRow]:
    """Each treatment arm against the control arm, metric by metric; confirmatory adjusted.

    The effects are also put in `effects` by (iteration, arm, metric) for the comparisons
    across iterations.
    """
    control = iteration.control()
    if control is None:
        return []
    plan = inputs.plan
    srm = _srm(iteration, inputs.metric_kinds)
    rows: list[ComparisonRow] = []
    for metric, kind in inputs.metric_kinds.items():
        role = plan.roles.get(metric) if plan else None
        test = plan.tests.get(metric, "") if plan else ""
        for arm in iteration.arms:
            if arm.is_control or metric not in arm.summaries or metric not in control.summaries:
                continue
            options = _options_for(kind, test, plan, _pair_planned_n(inputs, control, arm))
            effect = _compare(control.summaries[metric], arm.summaries[metric], options)
            effects[(iteration.number, arm.name, metric)] = effect
            rows.append(
                effect_row(
                    "arm_vs_control",
                    effect,
                    metric=metric,
                    iteration=iteration.number,
                    arm=arm.name,
                    baseline=control.name,
                    plan_hash=inputs.plan_hash,
                    exploratory=role not in CONFIRMATORY_ROLES,
                    role=role,
                    extra_health=srm,
                )
            )
    return _adjusted(rows, plan)


def _adjusted(rows: list[ComparisonRow], plan: PlanInput | None) -> list[ComparisonRow]:
    """Adjust the confirmatory family's p-values by the plan's method; others stay None."""
    family = [index for index, row in enumerate(rows) if not row.exploratory]
    if plan is None or not family:
        return rows
    adjusted = adjust_p_values(
        [rows[index].p_value for index in family],
        plan.multiple_testing,  # type: ignore[arg-type]
    )
    result = list(rows)
    for index, p_adjusted in zip(family, adjusted, strict=True):
        result[index] = replace(rows[index], p_adjusted=p_adjusted)
    return result


def across_iterations(
    inputs: PilotInput, effects: dict[tuple[int, str, str], EffectResult]
) -> list[ComparisonRow]:
    """v(k) against v(k−1): each arm, each effect; then all iterations at once, and the trend."""
    plan = inputs.plan
    alpha = plan.alpha if plan else DEFAULT_ALPHA
    rows: list[ComparisonRow] = []
    for earlier, later in pairwise(inputs.iterations):
        for metric, kind in inputs.metric_kinds.items():
            test = plan.tests.get(metric, "") if plan else ""
            for arm in later.arms:
                before = next((a for a in earlier.arms if a.name == arm.name), None)
                if before is None or metric not in arm.summaries or metric not in before.summaries:
                    continue
                options = _options_for(kind, test, plan, None)
                same_arm = compare_arm_across_iterations(
                    before.summaries[metric], arm.summaries[metric], options
                )
                rows.append(
                    effect_row(
                        "arm_across_iterations",
                        same_arm,
                        metric=metric,
                        iteration=later.number,
                        arm=arm.name,
                        baseline=f"{arm.name} in v{earlier.number}",
                        plan_hash=inputs.plan_hash,
                        exploratory=True,
                    )
                )
                old = effects.get((earlier.number, arm.name, metric))
                new = effects.get((later.number, arm.name, metric))
                if old is not None and new is not None:
                    rows.append(
                        effect_row(
                            "effect_across_iterations",
                            difference_of_effects(new, old, alpha),
                            metric=metric,
                            iteration=later.number,
                            arm=arm.name,
                            baseline=f"effect of {arm.name} in v{earlier.number}",
                            plan_hash=inputs.plan_hash,
                            exploratory=True,
                        )
                    )
    return rows + _all_iterations(inputs, effects)


def _all_iterations(
    inputs: PilotInput, effects: dict[tuple[int, str, str], EffectResult]
) -> list[ComparisonRow]:
    """Omnibus test per arm and metric over every iteration, and the trend of each effect."""
    plan = inputs.plan
    if len(inputs.iterations) < 2:
        return []
    rows: list[ComparisonRow] = []
    arm_names = list(dict.fromkeys(arm.name for it in inputs.iterations for arm in it.arms))
    for metric, kind in inputs.metric_kinds.items():
        for name in arm_names:
            summaries = [
                arm.summaries[metric]
                for iteration in inputs.iterations
                for arm in iteration.arms
                if arm.name == name and metric in arm.summaries
            ]
            if len(summaries) == len(inputs.iterations) and kind != "count":
                for result in _omnibus(kind, summaries, _values_of(inputs, name, metric)):
                    rows.append(_omnibus_row(result, metric=metric, arm=name, plan=plan))
            series = [effects.get((it.number, name, metric)) for it in inputs.iterations]
            if len(series) >= 3 and all(effect is not None for effect in series):
                trend = trend_in_effects(
                    [effect for effect in series if effect is not None],
                    alpha=plan.alpha if plan else DEFAULT_ALPHA,
                )
                rows.append(
                    effect_row(
                        "trend_across_iterations",
                        trend,
                        metric=metric,
                        iteration=None,
                        arm=name,
                        baseline="effect per iteration",
                        plan_hash=inputs.plan_hash,
                        exploratory=True,
                    )
                )
    return rows


def _values_of(inputs: PilotInput, arm: str, metric: str) -> list[tuple[str, ...]] | None:
    """The arm's unit-level values in every iteration, or None unless all iterations have them."""
    groups = [
        candidate.values.get(metric)
        for iteration in inputs.iterations
        for candidate in iteration.arms
        if candidate.name == arm
    ]
    if len(groups) != len(inputs.iterations) or any(group is None for group in groups):
        return None
    return [group for group in groups if group is not None]


def _omnibus(
    kind: str, summaries: list[Summary], values: list[tuple[str, ...]] | None
) -> list[OmnibusResult]:
    """Chi-squared for proportions; one-way ANOVA and Welch's ANOVA for means.

    With unit-level values the ANOVA is computed exactly from them (to certified precision);
    otherwise from the stored summaries.
    """
    if kind == "binary":
        return [omnibus_proportions(summaries)]  # type: ignore[arg-type]
    if values is not None:
        return [oneway_anova_from_values(values, use_var=v) for v in ("equal", "unequal")]
    return [omnibus_means(summaries, use_var=v) for v in ("equal", "unequal")]  # type: ignore[arg-type]


def compare_pilot(inputs: PilotInput, iteration: int | None = None) -> list[ComparisonRow]:
    """All comparisons of a pilot, or of one iteration (then without the across-iteration ones)."""
    rows: list[ComparisonRow] = []
    effects: dict[tuple[int, str, str], EffectResult] = {}
    for current in inputs.iterations:
        if iteration is not None and current.number != iteration:
            continue
        rows += within_iteration(inputs, current, effects)
    if iteration is None:
        rows += across_iterations(inputs, effects)
    return rows
