"""Ordinary least squares with careful design handling, the base of every adjusted estimate.

`statsmodels.regression.linear_model.OLS(...).fit(method="qr", cov_type=...)` does the fit;
this module prepares a well-conditioned design first and maps the answer back:

- each regressor is centred and scaled (and the outcome centred), so an intercept far from the
  data or columns in very different units (NIST's Longley data) cannot swamp the QR solve;
  coefficients and their covariance are transformed back exactly (β = Tθ, Cov β = T Cov θ Tᵀ);
- block / strata fixed effects are absorbed by demeaning within strata (Frisch–Waugh–Lovell)
  rather than thousands of dummy columns, with the residual degrees of freedom reduced by the
  number of strata;
- standard errors: "nonrobust", "HC1", "HC3" (White/MacKinnon–White sandwich) or "cluster"
  (Liang–Zeger, statsmodels' small-sample correction), inference with t on statsmodels'
  degrees of freedom (G − 1 for clusters).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from tracker.stats.health import CALCULATION_ERRORS, calculation_failed, finding, library_warnings
from tracker.stats.results import Coefficient, HealthFinding, OptionValue, RegressionResult

CovType = Literal["nonrobust", "HC1", "HC3", "cluster"]

INTERCEPT = "intercept"


def linear_regression(
    frame: pd.DataFrame,
    outcome: str,
    regressors: Sequence[str],
    *,
    cov_type: CovType = "nonrobust",
    cluster: str | None = None,
    absorb: str | None = None,
    alpha: float = 0.05,
) -> RegressionResult:
    """Regress `outcome` on `regressors` (plus an intercept unless strata are absorbed).

    `statsmodels.api.OLS(y, X).fit(method="qr", cov_type=..., use_t=True)` on the centred,
    scaled design, mapped back to the original scale (see the module docstring).

    Rows with a missing or infinite value in any used column are left out, with a warning
    saying how many. Problems (no variation in a column, collinear columns, too few rows,
    a cluster column missing) come back as error findings with NaN coefficients.
    """
    method = f"ols:{cov_type}"
    options: dict[str, OptionValue] = {
        "outcome": outcome,
        "regressors": tuple(regressors),
        "cov_type": cov_type,
        "cluster": cluster,
        "absorb": absorb,
        "alpha": alpha,
    }
    names = [INTERCEPT, *regressors] if absorb is None else list(regressors)
    data, health = _usable_rows(frame, outcome, regressors, cluster, absorb, cov_type)
    if health and health[-1].severity == "error":
        return _failed(method, options, names, health)
    y = data[outcome].to_numpy(dtype=float)
    x = data[list(regressors)].to_numpy(dtype=float)
    if absorb is not None:
        codes = pd.factorize(data[absorb])[0]
        y, x = _demean(y, codes), _demean_columns(x, codes)
        absorbed = int(codes.max()) + 1
    else:
        absorbed = 0
    centre = x.mean(axis=0)
    scale = x.std(axis=0)
    flat = [name for name, spread in zip(regressors, scale, strict=True) if not spread > 0]
    if flat:
        health.append(
            finding(
                "zero_variance",
                "error",
                "These columns do not vary in the rows analysed, so their effect cannot be "
                f"estimated: {', '.join(flat)}.",
            )
        )
        return _failed(method, options, names, health)
    z = (x - centre) / scale
    y_mean = float(y.mean())
    design = z if absorb is not None else np.column_stack([np.ones(len(y)), z])
    if np.linalg.matrix_rank(design) < design.shape[1]:
        health.append(
            finding(
                "collinear",
                "error",
                "Some of the columns are exact combinations of others (for example a "
                "covariate that repeats the arm or the strata), so the model cannot separate "
                "their effects; remove the redundant ones.",
            )
        )
        return _failed(method, options, names, health)
    df_resid = len(y) - design.shape[1] - absorbed
    if df_resid < 1:
        health.append(
            finding("too_few_rows", "error", "There are too few rows for this many columns.")
        )
        return _failed(method, options, names, health)
    try:
        fit = _fit(y - y_mean, design, df_resid, cov_type, data, cluster, health)
    except CALCULATION_ERRORS as error:
        health.append(calculation_failed(error))
        return _failed(method, options, names, health)
    transform = _back_transform(centre, scale, absorb is None)
    beta = transform @ np.asarray(fit.params)
    if absorb is None:
        beta[0] += y_mean
    cov = transform @ np.asarray(fit.cov_params()) @ transform.T
    df = float(getattr(fit, "df_resid_inference", None) or fit.df_resid)
    return RegressionResult(
        method=method,
        options=options,
        coefficients=_coefficients(names, beta, cov, df, alpha),
        nobs=len(y),
        df_resid=df,
        residual_sd=math.sqrt(float(fit.ssr) / df_resid),
        r_squared=1 - float(fit.ssr) / float(np.sum((y - y_mean) ** 2)),
        ss_regression=float(np.sum((y - y_mean) ** 2)) - float(fit.ssr),
        ss_residual=float(fit.ssr),
        health=tuple(health),
    )


def _usable_rows(
    frame: pd.DataFrame,
    outcome: str,
    regressors: Sequence[str],
    cluster: str | None,
    absorb: str | None,
    cov_type: CovType,
) -> tuple[pd.DataFrame, list[HealthFinding]]:
    health: list[HealthFinding] = []
    extra = [name for name in (cluster, absorb) if name is not None]
    missing = [name for name in [outcome, *regressors, *extra] if name not in frame.columns]
    if missing or (cov_type == "cluster" and cluster is None):
        health.append(
            finding(
                "missing_column",
                "error",
                "The data has no column called "
                f"{', '.join(missing) if missing else 'for the clusters'}, which this "
                "analysis needs.",
            )
        )
        return frame.iloc[0:0], health
    numeric = frame[[outcome, *regressors]].apply(pd.to_numeric, errors="coerce")
    keep = np.isfinite(numeric.to_numpy(dtype=float)).all(axis=1)
    for name in extra:
        keep &= frame[name].notna().to_numpy()
    dropped = int((~keep).sum())
    if dropped:
        health.append(
            finding(
                "rows_dropped",
                "warning",
                f"{dropped} row(s) with a missing or non-numeric value were left out.",
                count=dropped,
            )
        )
    data = numeric[keep].copy()
    for name in extra:
        data[name] = frame.loc[keep, name].to_numpy()
    if len(data) == 0:
        health.append(finding("empty_arm", "error", "No usable rows remain to analyse."))
    return data, health


def _demean(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    sums = np.bincount(codes, weights=values)
    counts = np.bincount(codes)
    demeaned: np.ndarray = values - (sums / counts)[codes]
    return demeaned


def _demean_columns(matrix: np.ndarray, codes: np.ndarray) -> np.ndarray:
    if not matrix.size:
        return matrix
    demeaned: np.ndarray = np.column_stack([_demean(column, codes) for column in matrix.T])
    return demeaned


def _fit(
    y: np.ndarray,
    design: np.ndarray,
    df_resid: int,
    cov_type: CovType,
    data: pd.DataFrame,
    cluster: str | None,
    health: list[HealthFinding],
) -> Any:
    """statsmodels' results object (untyped: statsmodels ships no annotations)."""
    import statsmodels.api as sm

    model = sm.OLS(y, design)
    model.df_resid = df_resid
    kwargs: dict[str, object] = {}
    if cov_type == "cluster" and cluster is not None:
        kwargs["cov_kwds"] = {"groups": pd.factorize(data[cluster])[0]}
    with library_warnings(health):
        return model.fit(method="qr", cov_type=cov_type, use_t=True, **kwargs)


def _back_transform(centre: np.ndarray, scale: np.ndarray, intercept: bool) -> np.ndarray:
    """T with β = T θ, where θ are the coefficients on the centred, scaled design."""
    k = len(scale)
    if not intercept:
        return np.diag(1 / scale)
    transform = np.zeros((k + 1, k + 1))
    transform[0, 0] = 1.0
    transform[0, 1:] = -centre / scale
    transform[1:, 1:] = np.diag(1 / scale)
    return transform


def _coefficients(
    names: list[str], beta: np.ndarray, cov: np.ndarray, df: float, alpha: float
) -> tuple[Coefficient, ...]:
    se = np.sqrt(np.diag(cov))
    t_crit = float(stats.t.isf(alpha / 2, df))
    result = []
    for name, estimate, error in zip(names, beta, se, strict=True):
        p_value = float(2 * stats.t.sf(abs(estimate / error), df)) if error > 0 else math.nan
        result.append(
            Coefficient(
                name=name,
                estimate=float(estimate),
                se=float(error),
                ci_low=float(estimate - t_crit * error),
                ci_high=float(estimate + t_crit * error),
                p_value=p_value,
            )
        )
    return tuple(result)


def _failed(
    method: str, options: dict[str, OptionValue], names: list[str], health: list[HealthFinding]
) -> RegressionResult:
    nan = math.nan
    return RegressionResult(
        method=method,
        options=options,
        coefficients=tuple(Coefficient(name, nan, nan, nan, nan, nan) for name in names),
        nobs=0,
        df_resid=nan,
        residual_sd=nan,
        r_squared=nan,
        ss_regression=nan,
        ss_residual=nan,
        health=tuple(health),
    )
