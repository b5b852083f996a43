"""The base of every schema model, and the clock-time type of scenario files.

Every model is frozen, refuses unknown keys and runs :func:`check_plain`
before each field, so that a yes/no or a base-60 number is not read as a value.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator

from shiftsim.model.durations import parse_clock
from shiftsim.model.values import check_plain

__all__ = ["ClockTime"]


ClockTime = Annotated[float, BeforeValidator(parse_clock)]
"""A quoted clock time (``'08:00'``), in seconds after midnight."""


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _plain(cls, value: Any, info: ValidationInfo) -> Any:
        # No yes/no or base-60 text as a number, no number as a date.
        assert info.field_name is not None
        return check_plain(cls.model_fields[info.field_name], value)


def _clock_text(seconds: float) -> str:
    h, rem = divmod(int(round(seconds)), 3600)
    return f"{h:02d}:{rem // 60:02d}"
