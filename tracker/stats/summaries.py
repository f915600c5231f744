"""Per-arm sufficient statistics: the only inputs the arm-versus-control methods need.

Summaries never validate on construction (a frozen dataclass that raises would turn a data
problem into a crash); `tracker.stats.health` inspects them and explains what is wrong.

Summaries computed from unit-level values are numerically stable: the mean comes from an
exactly rounded sum (`math.fsum`) and the variance from the corrected two-pass algorithm on
centred data (Chan, Golub & LeVeque 1983, "Algorithms for computing the sample variance",
The American Statistician 37(3)), so values such as 1e9 + small noise keep their spread, where
the naive Σx² − (Σx)²/n loses every digit. `MeanSummary.from_exact` goes further and computes
in exact rational arithmetic from decimal strings, rounding once at the end.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

ExactNumber = str | int | Decimal | Fraction | float
"""A value that converts to a Fraction without loss (floats convert to their binary value)."""


def to_fraction(value: ExactNumber) -> Fraction:
    """Exact rational value of a decimal string, Decimal, int, Fraction or float."""
    if isinstance(value, str):
        return Fraction(Decimal(value.strip()))
    return Fraction(value)


@dataclass(frozen=True)
class ProportionSummary:
    """A binary metric in one arm: `successes` out of `n` units."""

    n: float
    successes: float

    @property
    def rate(self) -> float:
        """Proportion of successes (NaN when the arm is empty)."""
        return self.successes / self.n if self.n else math.nan

    @classmethod
    def from_values(cls, values: npt.ArrayLike) -> ProportionSummary:
        """Count the units and the ones among 0/1 (or boolean) values; NaN propagates."""
        array = np.asarray(values, dtype=float).ravel()
        return cls(n=int(array.size), successes=float(math.fsum(array.tolist())))


@dataclass(frozen=True)
class MeanSummary:
    """A continuous metric in one arm: unit count, mean and sample standard deviation."""

    n: float
    mean: float
    sd: float

    @property
    def variance(self) -> float:
        """Sample variance (n − 1 denominator)."""
        return self.sd * self.sd

    @property
    def standard_error(self) -> float:
        """Standard error of the mean, sd / √n (NaN when n ≤ 0)."""
        return self.sd / math.sqrt(self.n) if self.n > 0 else math.nan

    @classmethod
    def from_sums(cls, n: float, total: float, sum_of_squares: float) -> MeanSummary:
        """From n, Σx and Σx², as some systems export them.

        Only as precise as the sums given: when Σx² dwarfs the spread, digits are already gone
        before they reach us (`health.sums_precision_findings` says when). A variance that
        comes out negative by rounding alone is taken as zero; one that is clearly negative
        means the sums are inconsistent and gives NaN.
        """
        if n <= 0:
            return cls(n=n, mean=math.nan, sd=math.nan)
        mean = total / n
        if n < 2:
            return cls(n=n, mean=mean, sd=math.nan)
        centred = sum_of_squares - total * mean
        tolerance = 64 * np.finfo(float).eps * abs(sum_of_squares)
        if centred < 0:
            centred = 0.0 if -centred <= tolerance else math.nan
        return cls(n=n, mean=mean, sd=math.sqrt(centred / (n - 1)))

    @classmethod
    def from_values(cls, values: npt.ArrayLike) -> MeanSummary:
        """From unit-level values, by the corrected two-pass algorithm on centred data.

        mean = fsum(x) / n; d = x − mean; variance = (Σd² − (Σd)² / n) / (n − 1), where the
        second term cancels the rounding error left in the mean (Chan, Golub & LeVeque 1983).
        Non-finite values propagate as NaN, for the health checks to report.
        """
        array = np.asarray(values, dtype=float).ravel()
        n = int(array.size)
        if n == 0:
            return cls(n=0, mean=math.nan, sd=math.nan)
        if not np.all(np.isfinite(array)):
            return cls(n=n, mean=math.nan, sd=math.nan)
        mean = math.fsum(array.tolist()) / n
        if n < 2:
            return cls(n=n, mean=mean, sd=math.nan)
        deviations = array - mean
        correction = math.fsum(deviations.tolist())
        centred = math.fsum((deviations * deviations).tolist()) - correction * correction / n
        return cls(n=n, mean=mean, sd=math.sqrt(max(centred, 0.0) / (n - 1)))

    @classmethod
    def from_exact(cls, values: Iterable[ExactNumber]) -> MeanSummary:
        """From decimal strings (or other exact numbers) in exact rational arithmetic.

        Use it when values arrive as text (a CSV): Σx, Σx² and the centred sum of squares are
        exact, so mean and sd are each rounded once, however many leading digits the values
        share (the NIST StRD "higher difficulty" ANOVA sets have 13).
        """
        fractions = [to_fraction(value) for value in values]
        n = len(fractions)
        if n == 0:
            return cls(n=0, mean=math.nan, sd=math.nan)
        total = sum(fractions, Fraction(0))
        mean = total / n
        if n < 2:
            return cls(n=n, mean=float(mean), sd=math.nan)
        centred = sum((value * value for value in fractions), Fraction(0)) - total * mean
        return cls(n=n, mean=float(mean), sd=math.sqrt(float(centred / (n - 1))))


@dataclass(frozen=True)
class CountSummary:
    """A count metric in one arm: `total` events over `exposure` (person-time, visits, …).

    Without an exposure, each unit counts as one unit of exposure.
    """

    n: float
    total: float
    exposure: float | None = None

    @property
    def time_at_risk(self) -> float:
        """The exposure the rate is per: `exposure` when given, otherwise `n`."""
        return self.n if self.exposure is None else self.exposure

    @property
    def rate(self) -> float:
        """Events per unit of exposure (NaN when there is no exposure)."""
        exposure = self.time_at_risk
        return self.total / exposure if exposure else math.nan

    @classmethod
    def from_values(
        cls, counts: npt.ArrayLike, exposures: npt.ArrayLike | None = None
    ) -> CountSummary:
        """From unit-level counts (and optional per-unit exposures), with exact-rounded sums."""
        array = np.asarray(counts, dtype=float).ravel()
        total = math.fsum(array.tolist())
        if exposures is None:
            return cls(n=int(array.size), total=total)
        exposure = math.fsum(np.asarray(exposures, dtype=float).ravel().tolist())
        return cls(n=int(array.size), total=total, exposure=exposure)


Summary = ProportionSummary | MeanSummary | CountSummary
"""Any per-arm summary."""
