"""One check of a result against its specification, used on every engine result
and every retoucher upload.

INTERFACE (stable): validate(data: bytes, spec: SpecOptions, fmt: OutputFormat | None = None) -> list[Problem]
An empty list means the result counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.specs.options import OutputFormat, SpecOptions


@dataclass(frozen=True, slots=True)
class Problem:
    check: str  # "format", "dimensions", "margins", "max_bytes", "background", "alpha"
    message: str


def validate(data: bytes, spec: SpecOptions, fmt: OutputFormat | None = None) -> list[Problem]:
    return []  # placeholder until the engine lands
