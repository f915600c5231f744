"""The statistics engine's method codes in words, so every number on a page says how it was made.

A stored run names each comparison's method by code (`odds_ratio:z_test`, `ancova+strata:HC1`,
`poisson_rate_ratio:score`); readers need the estimate, its interval and its test in plain
English. The words are composed from the code's parts, so a new combination of known parts is
described without a new entry, and an unknown part is shown as its code rather than guessed.
"""

from __future__ import annotations

WHOLE_METHODS = {
    "student_t": "Difference in means, Student's t-test (equal variances)",
    "welch_t": "Difference in means, Welch's t-test (unequal variances)",
    "odds_ratio:fisher_exact": (
        "Conditional maximum-likelihood odds ratio (exact interval), Fisher's exact test"
    ),
    "mann_whitney": "Probability that an arm's value exceeds control's, Mann–Whitney U test",
    "brunner_munzel": "Probability that an arm's value exceeds control's, Brunner–Munzel test",
    "difference_of_independent_estimates": (
        "Difference between two iterations' effects, z-test of independent estimates"
    ),
    "one_way_anova": "Equal means over every iteration, one-way ANOVA",
    "one_way_anova_exact": "Equal means over every iteration, one-way ANOVA (exact arithmetic)",
    "welch_anova": "Equal means over every iteration, Welch's ANOVA",
    "k_sample_chi_squared": "Equal proportions over every iteration, chi-squared test",
    "chi_squared_goodness_of_fit": "Allocation as planned, chi-squared goodness-of-fit test",
    "cochran_armitage_trend": "Trend in proportions over iterations, Cochran–Armitage test",
    "weighted_trend": "Trend of the effect over iterations, inverse-variance weighted regression",
}

ESTIMATES = {
    "difference": "Difference in proportions (Newcombe interval)",
    "odds_ratio": "Odds ratio (Wald interval on the log-odds scale)",
    "risk_ratio": "Risk ratio (Wald interval on the log scale)",
    "poisson_rate_ratio": "Ratio of event rates",
    "difference_in_differences": "Difference in differences by regression",
    "ols": "Difference in means by regression",
    "ancova": "Difference in means adjusted for covariates (ANCOVA)",
    "cuped": "Difference in means adjusted for the pre-period value (CUPED)",
}

QUALIFIERS = {"strata": "within strata"}

TESTS = {
    "z_test": "two-sample z-test of equal proportions",
    "chi_squared": "chi-squared test of equal proportions",
    "fisher_exact": "Fisher's exact test",
    "score": "score test and interval",
    "wald_log": "Wald test and interval on the log scale",
    "exact_conditional": "exact conditional test and interval",
    "nonrobust": "classical standard errors",
    "HC1": "heteroskedasticity-robust (HC1) standard errors",
    "HC3": "heteroskedasticity-robust (HC3) standard errors",
    "cluster": "standard errors clustered by the cluster column",
}


def method_in_words(method: str) -> str:
    """The method code as a sentence: "estimate (interval), test"; unknown parts stay as code."""
    if method in WHOLE_METHODS:
        return WHOLE_METHODS[method]
    estimate, _, test = method.partition(":")
    model, *qualifiers = estimate.split("+")
    words = " ".join(
        [ESTIMATES.get(model, model), *(QUALIFIERS.get(part, part) for part in qualifiers)]
    )
    return f"{words}, {TESTS.get(test, test)}" if test else words
