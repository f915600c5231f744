"""Adjusted effects from unit-level data: ANCOVA, CUPED, strata, difference-in-differences.

All fits go through `tracker.stats.regression.linear_regression` (statsmodels OLS, QR, with
nonrobust, HC1, HC3 or cluster-robust standard errors):

- ANCOVA: outcome ~ treatment + baseline covariates (Lin 2013, "Agnostic notes on regression
  adjustments to experimental data", Annals of Applied Statistics 7(1): use robust SEs);
- CUPED (Deng, Xu, Kohavi & Walker 2013, WSDM): outcome − θ·(x − x̄) with
  θ = Cov(outcome, x) / Var(x) from the pre-period metric x pooled over both arms, then the
  difference in means of the adjusted outcome (its SE treats θ as known, as the paper does);
- block / strata fixed effects absorbed by demeaning within strata;
- difference-in-differences for non-randomised pilots: outcome ~ treated + post +
  treated × post (+ covariates); the interaction is the effect, usually with SEs clustered on
  the unit (Bertrand, Duflo & Mullainathan 2004, QJE 119).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from tracker.stats.health import finding
from tracker.stats.intervals import t_interval
from tracker.stats.regression import CovType, linear_regression
from tracker.stats.results import (
    Alternative,
    EffectResult,
    HealthFinding,
    OptionValue,
    RegressionResult,
    describe_options,
    failed_effect,
)

_TREATED = "__treated__"
_POST = "__post__"
_INTERACTION = "__treated_x_post__"
_CUPED = "__cuped_outcome__"


@dataclass(frozen=True)
class AdjustedOptions:
    """What to adjust for and how to compute standard errors.

    `cluster` names the column of randomisation clusters and is required when
    `cov_type="cluster"`; `strata` names block / strata for fixed effects.
    """

    alpha: float = 0.05
    alternative: Alternative = "two_sided"
    covariates: tuple[str, ...] = ()
    cuped_covariate: str | None = None
    strata: str | None = None
    cov_type: CovType = "HC1"
    cluster: str | None = None


def adjusted_effect(
    frame: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    control: object,
    treatment: object,
    options: AdjustedOptions | None = None,
) -> EffectResult:
    """Covariate-adjusted difference in means, treatment − control, from unit-level rows.

    The treatment coefficient of `linear_regression` (statsmodels OLS with the chosen
    `cov_type`); p-value and interval use t on the regression's degrees of freedom.

    Rows whose `arm` value is neither `control` nor `treatment` are ignored (other arms).
    """
    options = options or AdjustedOptions()
    method = _method_name(options)
    described = describe_options(options, outcome=outcome, arm=arm)
    if arm not in frame.columns:
        problem = finding("missing_column", "error", f"The data has no column called {arm}.")
        return failed_effect(method, described, (0.0, 0.0), (problem,))
    rows = frame[frame[arm].isin([control, treatment])].copy()
    rows[_TREATED] = (rows[arm] == treatment).astype(float)
    n = (float((rows[_TREATED] == 0).sum()), float((rows[_TREATED] == 1).sum()))
    empty = _empty_arms(n)
    if empty:
        return failed_effect(
            method, described, n, empty, alpha=options.alpha, alternative=options.alternative
        )
    target = outcome
    health: list[HealthFinding] = []
    if options.cuped_covariate is not None:
        cuped, theta, cuped_problem = _cuped_outcome(rows, outcome, options.cuped_covariate)
        if cuped_problem is not None:
            return failed_effect(
                method,
                described,
                n,
                (cuped_problem,),
                alpha=options.alpha,
                alternative=options.alternative,
            )
        rows[_CUPED] = cuped
        target = _CUPED
        described["cuped_theta"] = theta
    fit = linear_regression(
        rows,
        target,
        [_TREATED, *options.covariates],
        cov_type=options.cov_type,
        cluster=options.cluster,
        absorb=options.strata,
        alpha=options.alpha,
    )
    health += fit.health
    arm_values = _arm_means(rows, outcome)
    return _effect_from_fit(fit, _TREATED, method, described, n, health, options, arm_values)


def _method_name(options: AdjustedOptions) -> str:
    parts = ["cuped" if options.cuped_covariate else "ancova" if options.covariates else "ols"]
    if options.strata:
        parts.append("strata")
    return f"{'+'.join(parts)}:{options.cov_type}"


def _empty_arms(n: tuple[float, ...]) -> tuple[HealthFinding, ...]:
    return tuple(
        finding(
            "empty_arm",
            "error",
            f"The {arm} arm has no rows in the data, so there is nothing to compare.",
            arm=arm,
        )
        for arm, size in zip(("control", "treatment"), n, strict=True)
        if size == 0
    )


def cuped_theta(outcome: np.ndarray, covariate: np.ndarray) -> float:
    """θ = Cov(y, x) / Var(x) on centred data (Deng et al. 2013, eq. 3); NaN if x is constant."""
    dx = covariate - covariate.mean()
    dy = outcome - outcome.mean()
    variance = float(np.dot(dx, dx))
    return float(np.dot(dx, dy)) / variance if variance > 0 else math.nan


def _cuped_outcome(
    rows: pd.DataFrame, outcome: str, covariate: str
) -> tuple[pd.Series, float, HealthFinding | None]:
    if covariate not in rows.columns or outcome not in rows.columns:
        return (
            rows[_TREATED],
            math.nan,
            finding(
                "missing_column",
                "error",
                f"The data has no column called {covariate} or {outcome}.",
            ),
        )
    y = pd.to_numeric(rows[outcome], errors="coerce")
    x = pd.to_numeric(rows[covariate], errors="coerce")
    both = np.isfinite(y.to_numpy(dtype=float)) & np.isfinite(x.to_numpy(dtype=float))
    theta = cuped_theta(y[both].to_numpy(dtype=float), x[both].to_numpy(dtype=float))
    if not math.isfinite(theta):
        return (
            rows[_TREATED],
            theta,
            finding(
                "zero_variance",
                "error",
                f"The pre-period metric {covariate} does not vary, so CUPED cannot use it.",
            ),
        )
    return y - theta * (x - float(x[both].mean())), theta, None


def _arm_means(rows: pd.DataFrame, outcome: str) -> tuple[float, ...]:
    y = pd.to_numeric(rows[outcome], errors="coerce")
    return tuple(float(y[rows[_TREATED] == value].mean()) for value in (0.0, 1.0))


def _effect_from_fit(
    fit: RegressionResult,
    name: str,
    method: str,
    described: dict[str, OptionValue],
    n: tuple[float, ...],
    health: list[HealthFinding],
    options: AdjustedOptions,
    arm_values: tuple[float, ...],
) -> EffectResult:
    coefficient = fit.coefficient(name)
    if not math.isfinite(coefficient.estimate) or not coefficient.se > 0:
        return failed_effect(
            method,
            described,
            n,
            tuple(health),
            alpha=options.alpha,
            alternative=options.alternative,
        )
    t = coefficient.estimate / coefficient.se
    if options.alternative == "greater":
        p_value = float(stats.t.sf(t, fit.df_resid))
    elif options.alternative == "less":
        p_value = float(stats.t.cdf(t, fit.df_resid))
    else:
        p_value = coefficient.p_value
    low, high = t_interval(
        coefficient.estimate, coefficient.se, fit.df_resid, options.alpha, options.alternative
    )
    return EffectResult(
        method=method,
        options=described,
        estimate=coefficient.estimate,
        se=coefficient.se,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        n=n,
        health=tuple(health),
        alpha=options.alpha,
        alternative=options.alternative,
        statistic=t,
        df=fit.df_resid,
        arm_values=arm_values,
    )


def difference_in_differences(
    frame: pd.DataFrame,
    *,
    outcome: str,
    group: str,
    treated: object,
    period: str,
    post: object,
    options: AdjustedOptions | None = None,
) -> EffectResult:
    """Difference-in-differences: (treated post − treated pre) − (comparison post − pre).

    `group == treated` marks the treated group, `period == post` the post-change period; every
    other value is the comparison group / pre-period. Set `cov_type="cluster"` and `cluster`
    to the unit id when units are observed in both periods.
    """
    options = options or AdjustedOptions(cov_type="HC1")
    method = f"difference_in_differences:{options.cov_type}"
    described = describe_options(options, outcome=outcome, group=group, period=period)
    missing = [name for name in (group, period) if name not in frame.columns]
    if missing:
        problem = finding(
            "missing_column", "error", f"The data has no column called {', '.join(missing)}."
        )
        return failed_effect(method, described, (0.0, 0.0), (problem,))
    rows = frame.copy()
    rows[_TREATED] = (rows[group] == treated).astype(float)
    rows[_POST] = (rows[period] == post).astype(float)
    rows[_INTERACTION] = rows[_TREATED] * rows[_POST]
    cells = rows.groupby([_TREATED, _POST]).size()
    n = (float((rows[_TREATED] == 0).sum()), float((rows[_TREATED] == 1).sum()))
    if len(cells) < 4:
        problem = finding(
            "empty_cell",
            "error",
            "Difference-in-differences needs data for both groups in both periods; at least "
            "one group-period combination is empty.",
        )
        return failed_effect(
            method, described, n, (problem,), alpha=options.alpha, alternative=options.alternative
        )
    fit = linear_regression(
        rows,
        outcome,
        [_TREATED, _POST, _INTERACTION, *options.covariates],
        cov_type=options.cov_type,
        cluster=options.cluster,
        absorb=options.strata,
        alpha=options.alpha,
    )
    y = pd.to_numeric(rows[outcome], errors="coerce")
    changes = tuple(
        float(
            y[(rows[_TREATED] == g) & (rows[_POST] == 1)].mean()
            - y[(rows[_TREATED] == g) & (rows[_POST] == 0)].mean()
        )
        for g in (0.0, 1.0)
    )
    return _effect_from_fit(
        fit, _INTERACTION, method, described, n, list(fit.health), options, changes
    )
