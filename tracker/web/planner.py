"""The power and minimum-detectable-effect planner: a GET form, no writes, for every signed-in user.

The calculations are tracker.stats.power (proportions, R's power.prop.test) and
tracker.stats.power_means (means, R's power.t.test); this module only reads the form, fills it
from a pilot, and draws the power curve around the answer. They are imported where they are
used, because they load scipy and statsmodels, which the app must not pay for at start-up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TypedDict

from flask import Blueprint, render_template, request

from tracker import charts
from tracker.charts.power import CurvePoint, power_curve_figure
from tracker.db import get_session
from tracker.models.enums import MetricKind, PilotDesign
from tracker.services.overviews import PilotOverview, get_pilot_overview
from tracker.stats.results import Alternative, PowerResult
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("planner", __name__)

CURVE_POINTS = 21


@dataclass(frozen=True)
class Plan:
    """The planner's inputs, as typed (text) and as numbers once checked."""

    kind: str = "binary"  # binary or continuous
    solve_for: str = "n"  # n (given the effect) or mde (given n)
    baseline: str = "0.5"
    sd: str = "1"
    effect: str = "0.1"
    n: str = "100"
    alpha: str = "0.05"
    power: str = "0.8"
    sides: str = "two"  # two or one
    ratio: str = "1"
    cluster: bool = False
    icc: str = "0.05"
    cluster_size: str = "20"


@dataclass(frozen=True)
class Checked:
    plan: Plan
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field id, message)
    values: dict[str, float] = field(default_factory=dict)

    def error_for(self, field_id: str) -> str | None:
        return next((message for key, message in self.errors if key == field_id), None)


FIELDS = ("baseline", "sd", "effect", "n", "alpha", "power", "ratio", "icc", "cluster_size")


def plan_from_args(args: Mapping[str, str], start: Plan) -> Plan:
    """The form as submitted, over `start` (the defaults or the pilot's values)."""
    texts = {name: args[name].strip() for name in FIELDS if name in args}
    choices = {
        name: args[name]
        for name, allowed in (
            ("kind", ("binary", "continuous")),
            ("solve_for", ("n", "mde")),
            ("sides", ("two", "one")),
        )
        if args.get(name) in allowed
    }
    cluster = args.get("cluster") == "yes" if "cluster" in args else start.cluster
    return replace(start, **texts, **choices, cluster=cluster)


def check(plan: Plan) -> Checked:
    """Numbers in range, or GOV.UK error messages naming each field."""
    errors: list[tuple[str, str]] = []
    values: dict[str, float] = {}

    def read(name: str, label: str, ok: bool | None = None, rule: str = "") -> None:
        text = getattr(plan, name)
        try:
            value = float(text)
        except ValueError:
            errors.append(
                (name, f"Enter the {label} as a number" if text else f"Enter the {label}")
            )
            return
        if not math.isfinite(value) or not _in_range(name, value, plan):
            errors.append((name, f"The {label} {rule}"))
            return
        values[name] = value

    binary = plan.kind == "binary"
    if binary:
        read("baseline", "baseline proportion", rule="must be between 0 and 1, like 0.25")
    else:
        read("baseline", "baseline mean", rule="must be a number")
        read("sd", "standard deviation", rule="must be more than 0")
    if plan.solve_for == "n":
        read("effect", "effect to detect", rule=_effect_rule(binary))
    else:
        read("n", "sample size in the control arm", rule="must be more than 1")
    read("alpha", "significance level", rule="must be between 0 and 1, like 0.05")
    read("power", "power", rule="must be between 0 and 1, like 0.8")
    read("ratio", "allocation ratio", rule="must be more than 0, like 1 for equal arms")
    if plan.cluster:
        read("icc", "intracluster correlation (ICC)", rule="must be at least 0 and less than 1")
        read("cluster_size", "cluster size", rule="must be 1 or more")
    if binary and "baseline" in values and "effect" in values:
        target = values["baseline"] + values["effect"]
        if not 0 < target < 1:
            values.pop("effect")
            errors.append(
                ("effect", "The baseline plus the effect must be a proportion between 0 and 1")
            )
    return Checked(plan, errors, values)


def _effect_rule(binary: bool) -> str:
    return "must not be 0" + (", and must be between −1 and 1" if binary else "")


def _in_range(name: str, value: float, plan: Plan) -> bool:
    if name in ("alpha", "power"):
        return 0 < value < 1
    if name == "baseline":
        return plan.kind != "binary" or 0 < value < 1
    if name == "effect":
        return value != 0 and (plan.kind != "binary" or -1 < value < 1)
    if name in ("sd", "ratio"):
        return value > 0
    if name == "n":
        return value > 1
    if name == "icc":
        return 0 <= value < 1
    if name == "cluster_size":
        return value >= 1
    return True


@dataclass(frozen=True)
class Answer:
    result: PowerResult
    function: str  # the statsmodels function that did the work
    effect: float  # the effect the answer is about (given or solved)
    curve: list[CurvePoint]
    x_title: str
    percentage_points: bool


class Design(TypedDict):
    """The design arguments every tracker.stats planning function takes."""

    alpha: float
    allocation_ratio: float
    cluster_size: float
    icc: float


def _design(values: Mapping[str, float], cluster: bool) -> Design:
    return {
        "alpha": values["alpha"],
        "allocation_ratio": values["ratio"],
        "cluster_size": values["cluster_size"] if cluster else 1.0,
        "icc": values["icc"] if cluster else 0.0,
    }


def _alternative(sides: str, effect: float) -> Alternative:
    if sides == "two":
        return "two_sided"
    return "less" if effect < 0 else "greater"


def power_at(
    kind: str,
    values: Mapping[str, float],
    effect: float,
    n: float,
    design: Design,
    alternative: Alternative,
) -> float:
    """Power for one effect and control-arm size (the curve's points)."""
    from tracker.stats.power import power_two_proportions
    from tracker.stats.power_means import power_two_means

    if kind == "binary":
        target = values["baseline"] + effect
        if not 0 < target < 1:
            return math.nan
        result = power_two_proportions(
            values["baseline"], target, n, alternative=alternative, **design
        )
    else:
        result = power_two_means(effect, values["sd"], n, alternative=alternative, **design)
    return result.power


def solve(checked: Checked) -> Answer | None:
    """The planner's answer with its power curve, or None when an input is wrong."""
    from tracker.stats.power import mde_two_proportions, sample_size_two_proportions
    from tracker.stats.power_means import mde_two_means, sample_size_two_means

    if checked.errors:
        return None
    plan, values = checked.plan, checked.values
    design = _design(values, plan.cluster)
    power, binary = values["power"], plan.kind == "binary"
    if plan.solve_for == "n":
        effect = values["effect"]
        alternative = _alternative(plan.sides, effect)
        if binary:
            result = sample_size_two_proportions(
                values["baseline"], values["baseline"] + effect, power,
                alternative=alternative, **design,
            )  # fmt: skip
            function = "statsmodels.stats.proportion.samplesize_proportions_2indep_onetail"
        else:
            result = sample_size_two_means(
                effect, values["sd"], power, alternative=alternative, **design
            )
            function = "statsmodels.stats.power.TTestIndPower.solve_power"
        top = result.n_control * 2.5 if math.isfinite(result.n_control) else 100.0
        sizes = [2 + (top - 2) * i / (CURVE_POINTS - 1) for i in range(CURVE_POINTS)]
        curve = [
            CurvePoint(n, power_at(plan.kind, values, effect, n, design, alternative))
            for n in sizes
        ]
        return Answer(result, function, effect, curve, "Participants in the control arm", False)
    n = values["n"]
    alternative = "two_sided" if plan.sides == "two" else "greater"
    if binary:
        result = mde_two_proportions(
            values["baseline"], n, power, alternative=alternative, **design
        )
        function = (
            "statsmodels.stats.proportion.power_proportions_2indep, solved for the effect "
            "with scipy.optimize.brentq"
        )
    else:
        result = mde_two_means(values["sd"], n, power, alternative=alternative, **design)
        function = "statsmodels.stats.power.TTestIndPower.solve_power"
    effect = result.effect
    top = abs(effect) * 2 if math.isfinite(effect) else 1.0
    if binary:
        top = min(top, 1 - values["baseline"] - 1e-6)
    effects = [top * i / (CURVE_POINTS - 1) for i in range(1, CURVE_POINTS)]
    curve = [CurvePoint(e, power_at(plan.kind, values, e, n, design, alternative)) for e in effects]
    curve = [point for point in curve if math.isfinite(point.power)]
    x_title = "Difference (percentage points)" if binary else "Difference in means"
    return Answer(result, function, effect, curve, x_title, binary)


@dataclass(frozen=True)
class CurrentSample:
    """The pilot's latest results for the planned metric, and what they can detect."""

    metric_name: str
    iteration: int
    n_control: int
    n_treatment: int
    result: PowerResult


def pilot_plan(overview: PilotOverview) -> tuple[Plan, str | None]:
    """The form's starting values from a pilot, and the metric they come from."""
    plan = Plan(cluster=overview.pilot.design == PilotDesign.CLUSTER_RCT)
    metrics = [m for m in overview.metrics if m.kind in (MetricKind.BINARY, MetricKind.CONTINUOUS)]
    reported = [m for m in overview.reported_metrics() if m in metrics]
    candidates = reported or metrics
    metric = candidates[0] if candidates else None
    latest = overview.iterations[-1] if overview.iterations else None
    control = treatment = None
    if latest is not None:
        control = next((arm for arm in latest.arms if arm.arm.is_control), None)
        treatment = next((arm for arm in latest.arms if not arm.arm.is_control), None)
    if control is not None and treatment is not None:
        plan = replace(plan, ratio=_short(treatment.arm.allocation / control.arm.allocation))
    if overview.pilot.planned_sample_size:
        share = control.arm.allocation if control is not None and treatment is not None else 0.5
        plan = replace(plan, n=_short(overview.pilot.planned_sample_size * share), solve_for="mde")
    if metric is None:
        return plan, None
    plan = replace(plan, kind=str(metric.kind.value))
    if metric.minimum_important_difference:
        plan = replace(plan, effect=_short(metric.minimum_important_difference))
    result = control.results.get(metric.id or 0) if control is not None else None
    if result is not None and result.n:
        if metric.kind == MetricKind.BINARY and result.successes is not None:
            plan = replace(plan, baseline=_short(result.successes / result.n))
        elif result.mean is not None:
            plan = replace(plan, baseline=_short(result.mean), sd=_short(result.sd or 1.0))
    return plan, metric.name


def current_sample(overview: PilotOverview, checked: Checked) -> CurrentSample | None:
    """What the pilot's latest control and treatment sizes can detect with the form's design."""
    from tracker.stats.power import mde_two_proportions
    from tracker.stats.power_means import mde_two_means

    if checked.errors or not overview.iterations:
        return None
    kind = MetricKind(checked.plan.kind)
    metric = next((m for m in overview.reported_metrics() if m.kind == kind), None)
    if metric is None:
        return None
    for view in reversed(overview.iterations):
        control = next((a for a in view.arms if a.arm.is_control), None)
        treatment = next((a for a in view.arms if not a.arm.is_control), None)
        if control is None or treatment is None:
            continue
        got = control.results.get(metric.id or 0), treatment.results.get(metric.id or 0)
        if got[0] is None or got[1] is None or got[0].n < 2 or got[1].n < 2:
            continue
        values = dict(checked.values, ratio=got[1].n / got[0].n)
        design = _design(values, checked.plan.cluster)
        alternative: Alternative = "two_sided" if checked.plan.sides == "two" else "greater"
        if kind == MetricKind.BINARY:
            result = mde_two_proportions(
                values["baseline"], got[0].n, values["power"], alternative=alternative, **design
            )
        else:
            result = mde_two_means(
                values["sd"], got[0].n, values["power"], alternative=alternative, **design
            )
        number = view.iteration.number
        return CurrentSample(metric.name, number, got[0].n, got[1].n, result)
    return None


def _short(value: float) -> str:
    return f"{value:.4g}"


def _page(checked: Checked, answer: Answer | None, **context: object) -> str:
    figure = None
    if answer is not None and answer.curve:
        answer_x = answer.result.n_control if checked.plan.solve_for == "n" else answer.effect
        figure = power_curve_figure(
            answer.curve,
            x_title=answer.x_title,
            target_power=checked.values["power"],
            answer_x=answer_x if math.isfinite(answer_x) else None,
            percentage_points=answer.percentage_points,
        )
    return render_template(
        "planner/page.html",
        checked=checked,
        plan=checked.plan,
        answer=answer,
        chart_json=charts.figure_json(figure) if figure is not None else None,
        **context,
    )


@blueprint.get("/planner")
def general() -> str:
    """The planner with neutral starting values."""
    planned = check(plan_from_args(request.args, Plan()))
    return _page(planned, solve(planned), pilot=None, overview=None, from_metric=None,
                 sample=None)  # fmt: skip


@blueprint.get(f"/pilots/<{SLUG_ROUTE}:slug>/planner")
def for_pilot(slug: str) -> str:
    """The planner filled in from the pilot, with what its current sample can detect."""
    overview = get_pilot_overview(session=get_session(), slug=checked(slug))
    start, metric_name = pilot_plan(overview)
    planned = check(plan_from_args(request.args, start))
    return _page(planned, solve(planned), pilot=overview.pilot, overview=overview,
                 from_metric=metric_name, sample=current_sample(overview, planned))  # fmt: skip
