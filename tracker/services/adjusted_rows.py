"""Covariate-adjusted comparisons from uploaded unit-level datasets (ANCOVA, CUPED, clusters).

Where a dataset's column mapping names baseline covariates, a pre-period column or a cluster
column, each treatment arm is also compared with control by OLS on the unit-level rows:
covariates → ANCOVA, a pre-period value → CUPED, a cluster column → cluster-robust standard
errors (HC1 otherwise). The pre-period value also gives a baseline-balance check. These rows
are exploratory: the plan's confirmatory family is the unadjusted comparison it names.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from sqlmodel import Session

from tracker.models import ColumnMapping
from tracker.models.enums import MetricKind
from tracker.services import datasets
from tracker.services.analysis_inputs import PilotInput
from tracker.services.comparisons import ComparisonRow, effect_row
from tracker.stats import AdjustedOptions, HealthFinding, MeanSummary

if TYPE_CHECKING:  # pandas loads only when an adjusted analysis runs
    import pandas as pd


def _wants_adjustment(mapping: ColumnMapping) -> bool:
    return bool(mapping.covariates or mapping.pre_period or mapping.cluster)


def _balance(
    frame: pd.DataFrame, mapping: ColumnMapping, metric: str, control: str, treatment: str
) -> tuple[HealthFinding, ...]:
    """Were the arms already different on the pre-period value? (standardised difference)."""
    from tracker.stats import baseline_balance

    column = mapping.pre_period.get(metric)
    if column is None:
        return ()
    by_arm = {
        arm: MeanSummary.from_values(frame.loc[frame[mapping.arm] == arm, column].to_numpy())
        for arm in (control, treatment)
    }
    return baseline_balance(by_arm[control], by_arm[treatment], f"{column} (before the change)")


def adjusted_comparisons(
    *, session: Session, inputs: PilotInput, iteration: int | None
) -> list[ComparisonRow]:
    """Adjusted arm-versus-control rows for every dataset whose mapping asks for them."""
    import pandas as pd

    from tracker.stats import adjusted_effect

    plan = inputs.plan
    rows: list[ComparisonRow] = []
    for current in inputs.iterations:
        if iteration is not None and current.number != iteration:
            continue
        control = current.control()
        if control is None:
            continue
        for dataset in datasets.list_datasets(
            session=session, pilot_slug=inputs.pilot, number=current.number
        ):
            mapping = ColumnMapping.model_validate(dataset.column_mapping)
            if not _wants_adjustment(mapping):
                continue
            content = datasets.dataset_content(session=session, dataset=dataset)
            # A category: its few names are stripped once, not a million cells one by one.
            frame = pd.read_csv(io.BytesIO(content), dtype={mapping.arm: "category"})
            frame[mapping.arm] = frame[mapping.arm].map(str.strip, na_action="ignore")
            arm_names = [arm.name for arm in current.arms]
            for metric, column in mapping.outcomes.items():
                if inputs.metric_kinds[metric] == MetricKind.COUNT.value:
                    continue
                options = AdjustedOptions(
                    alpha=plan.alpha if plan else 0.05,
                    alternative=plan.alternative if plan else "two_sided",  # type: ignore[arg-type]
                    covariates=tuple(mapping.covariates),
                    cuped_covariate=mapping.pre_period.get(metric),
                    cov_type="cluster" if mapping.cluster else "HC1",
                    cluster=mapping.cluster,
                )
                for treatment in arm_names:
                    if treatment == control.name:
                        continue
                    effect = adjusted_effect(
                        frame,
                        outcome=column,
                        arm=mapping.arm,
                        control=control.name,
                        treatment=treatment,
                        options=options,
                    )
                    rows.append(
                        effect_row(
                            "adjusted_arm_vs_control",
                            effect,
                            metric=metric,
                            iteration=current.number,
                            arm=treatment,
                            baseline=f"{control.name} ({dataset.filename})",
                            plan_hash=inputs.plan_hash,
                            exploratory=True,
                            extra_health=_balance(frame, mapping, metric, control.name, treatment),
                        )
                    )
    return rows
