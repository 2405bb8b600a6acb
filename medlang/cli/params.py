"""Option types shared by several commands."""

from __future__ import annotations

import math
from typing import Any

import click


class NumberRange(click.FloatRange):
    """click's FloatRange, which lets NaN through (every comparison with NaN is false):
    a NaN limit would silently mean "no limit" or crash later, so it is a usage error."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number.", param, ctx)
        return number
