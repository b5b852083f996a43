"""Duration distributions (handle time, patience, bot session, department delay).

Each distribution is a frozen pydantic model that knows its own mean and
variance (cheap exact tests) and draws samples from a ``numpy.random.Generator``
passed in explicitly: there is no global random state.

``sample(rng, size)`` draws an array (the arrivals, up front); ``draw(rng)`` one
plain float, for the few draws the engine makes during a run (a retry's
delay and patience): the same number ``sample(rng, 1)[0]`` would give from the
same generator state, leaving the generator in the same state (numpy's scalar
and array forms call the same C routine per value; a test checks every kind),
without the array of one element, which cost several times the draw.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shiftsim.model.durations import parse_duration
from shiftsim.model.values import check_plain

__all__ = [
    "Constant",
    "Distribution",
    "Duration",
    "Empirical",
    "Exponential",
    "Gamma",
    "Lognormal",
    "Uniform",
]

Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A duration in seconds, written in scenario files with a unit (``'5min'``)."""


MAX_CV = 10.0
"""Largest coefficient of variation of a lognormal or gamma duration: beyond it the
samples are a few huge values among zeros (cv 1e200 overflows), not a duration."""


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    # Not "*": pydantic refuses a before-validator on the discriminator ``dist``.
    @field_validator("cv_", "weights", mode="before", check_fields=False)
    @classmethod
    def _plain(cls, value: object, info: ValidationInfo) -> object:
        assert info.field_name is not None
        return check_plain(cls.model_fields[info.field_name], value)

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def var(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def cv(self) -> float:
        return math.sqrt(self.var) / self.mean if self.mean > 0 else 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def draw(self, rng: np.random.Generator) -> float:  # pragma: no cover - overridden
        """One value: exactly ``sample(rng, 1)[0]``, from and to the same generator state."""
        raise NotImplementedError


class Exponential(_Dist):
    """Exponential with the given mean (memoryless; cv = 1)."""

    dist: Literal["exponential"]
    mean_: Duration = Field(alias="mean", gt=0)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return self.mean_**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)

    def draw(self, rng: np.random.Generator) -> float:
        return rng.exponential(self.mean_)


class Constant(_Dist):
    """Always the same duration (for hand-checkable timelines)."""

    dist: Literal["constant"]
    value: Duration = Field(ge=0)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def var(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)

    def draw(self, rng: np.random.Generator) -> float:
        return self.value


class Lognormal(_Dist):
    """Lognormal given by its mean and coefficient of variation (typical handle times)."""

    dist: Literal["lognormal"]
    mean_: Duration = Field(alias="mean", gt=0)
    cv_: float = Field(alias="cv", gt=0, le=MAX_CV)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return (self.mean_ * self.cv_) ** 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(*self._params(), size)

    def draw(self, rng: np.random.Generator) -> float:
        return rng.lognormal(*self._params())

    def _params(self) -> tuple[float, float]:
        """Mean and standard deviation of the underlying normal."""
        sigma2 = math.log1p(self.cv_**2)
        return math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2)


class Gamma(_Dist):
    """Gamma given by its mean and coefficient of variation (cv = 1 is exponential)."""

    dist: Literal["gamma"]
    mean_: Duration = Field(alias="mean", gt=0)
    cv_: float = Field(alias="cv", gt=0, le=MAX_CV)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return (self.mean_ * self.cv_) ** 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1.0 / self.cv_**2
        return rng.gamma(shape, self.mean_ / shape, size)

    def draw(self, rng: np.random.Generator) -> float:
        shape = 1.0 / self.cv_**2
        return rng.gamma(shape, self.mean_ / shape)


class Uniform(_Dist):
    """Uniform between ``low`` and ``high``."""

    dist: Literal["uniform"]
    low: Duration = Field(ge=0)
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high must be >= low (got low={self.low:g}s, high={self.high:g}s)")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def var(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def draw(self, rng: np.random.Generator) -> float:
        return rng.uniform(self.low, self.high)


class Empirical(_Dist):
    """Observed durations, resampled with replacement (optionally weighted)."""

    dist: Literal["empirical"]
    values: list[Duration] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _check(self) -> Empirical:
        if any(v < 0 for v in self.values):
            raise ValueError(f"durations must be >= 0 (got {min(self.values):g}s)")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"weights must have one entry per value ({len(self.values)}) "
                    f"(got {len(self.weights)})"
                )
            if any(w < 0 for w in self.weights) or not 0 < sum(self.weights) < math.inf:
                raise ValueError(f"weights must be >= 0 with a positive sum (got {self.weights})")
        return self

    def _p(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, float)
        p: np.ndarray = w / w.sum()
        return p

    @property
    def mean(self) -> float:
        return float(np.dot(self._p(), self.values))

    @property
    def var(self) -> float:
        v = np.asarray(self.values)
        return float(np.dot(self._p(), (v - self.mean) ** 2))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, float), size=size, p=self._p())

    def draw(self, rng: np.random.Generator) -> float:
        # Generator.choice draws one uniform per value and searches the cumulative
        # weights, or, unweighted, one bounded integer: the same here, in floats.
        return float(self.sample(rng, 1)[0])


Distribution = Annotated[
    Exponential | Constant | Lognormal | Gamma | Uniform | Empirical,
    Field(discriminator="dist"),
]
"""Any duration distribution, chosen by its ``dist`` key."""
