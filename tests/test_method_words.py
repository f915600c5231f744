"""Every method code the statistics engine can store has words on the results pages."""

from __future__ import annotations

from typing import get_args

import pytest

from tracker.stats.adjusted import AdjustedOptions, _method_name
from tracker.stats.binary import BinaryEffect, BinaryTest
from tracker.stats.continuous import RankMethod
from tracker.stats.counts import RateMethod
from tracker.stats.regression import CovType
from tracker.web.method_words import method_in_words

ENGINE_CODES = [
    *(f"{effect}:{test}" for effect in get_args(BinaryEffect) for test in get_args(BinaryTest)),
    *(f"poisson_rate_ratio:{method}" for method in get_args(RateMethod)),
    *get_args(RankMethod),
    "student_t",
    "welch_t",
    *(
        _method_name(AdjustedOptions(cov_type=cov_type, covariates=covariates, strata=strata))
        for cov_type in get_args(CovType)
        for covariates in ((), ("age",))
        for strata in (None, "region")
    ),
    *(f"difference_in_differences:{cov_type}" for cov_type in get_args(CovType)),
    "difference_of_independent_estimates",
    "one_way_anova",
    "welch_anova",
    "k_sample_chi_squared",
    "cochran_armitage_trend",
    "weighted_trend",
]


@pytest.mark.parametrize("code", ENGINE_CODES)
def test_every_engine_method_reads_as_words(code: str) -> None:
    words = method_in_words(code)
    assert "_" not in words and ":" not in words and "+" not in words, words
    assert words[0].isupper()


def test_the_words_name_estimate_interval_and_test() -> None:
    assert method_in_words("odds_ratio:z_test") == (
        "Odds ratio (Wald interval on the log-odds scale), two-sample z-test of equal proportions"
    )
    assert method_in_words("ancova+strata:HC1") == (
        "Difference in means adjusted for covariates (ANCOVA) within strata, "
        "heteroskedasticity-robust (HC1) standard errors"
    )


def test_an_unknown_part_is_shown_as_its_code_not_guessed() -> None:
    assert method_in_words("odds_ratio:bootstrap") == (
        "Odds ratio (Wald interval on the log-odds scale), bootstrap"
    )
    assert method_in_words("new_model") == "new_model"
