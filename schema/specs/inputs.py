"""Specification inputs. Every field is optional: on create, what is left out takes
its default; on update, what is left out keeps its current value."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry import UNSET

from schema.specs.types import (
    ColourProfile,
    CropKind,
    MarginUnit,
    OutputFormat,
    RetouchLevel,
    ShadowKind,
    SizeMode,
    SpecBackgroundKind,
    Turnaround,
    VerticalAlignment,
)


def given(obj: Any) -> dict[str, Any]:
    """The fields the client sent, as plain values, nested (UNSET ones left out)."""
    out: dict[str, Any] = {}
    for name in obj.__strawberry_definition__.fields:
        value = getattr(obj, name.python_name)
        if value is UNSET:
            continue
        out[name.python_name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__strawberry_definition__"):
        return given(value)
    return value


@strawberry.input
class SpecBackgroundInput:
    kind: SpecBackgroundKind | None = UNSET
    colour: str | None = strawberry.field(default=UNSET, description="#RRGGBB, with kind COLOUR.")


@strawberry.input
class SpecCropInput:
    kind: CropKind | None = UNSET
    aspect_width: int | None = UNSET
    aspect_height: int | None = UNSET
    width: int | None = UNSET
    height: int | None = UNSET


@strawberry.input
class SpecMarginsInput:
    unit: MarginUnit | None = UNSET
    top: float | None = UNSET
    right: float | None = UNSET
    bottom: float | None = UNSET
    left: float | None = UNSET


@strawberry.input
class SpecOutputSizeInput:
    mode: SizeMode | None = UNSET
    width: int | None = UNSET
    height: int | None = UNSET


@strawberry.input
class SpecificationInput:
    name: str | None = UNSET
    background: SpecBackgroundInput | None = UNSET
    crop: SpecCropInput | None = UNSET
    margins: SpecMarginsInput | None = UNSET
    alignment: VerticalAlignment | None = UNSET
    size: SpecOutputSizeInput | None = UNSET
    formats: list[OutputFormat] | None = UNSET
    quality: int | None = UNSET
    max_file_bytes: int | None = UNSET
    dpi: int | None = UNSET
    colour_profile: ColourProfile | None = UNSET
    shadow: ShadowKind | None = UNSET
    keep_original_shadow: bool | None = UNSET
    retouch: RetouchLevel | None = UNSET
    clipping_path: bool | None = UNSET
    turnaround: Turnaround | None = UNSET

    def split(self) -> tuple[str | None, dict[str, Any]]:
        """(name or None, the options given)."""
        data = given(self)
        name = data.pop("name", None)
        return name, {k: v for k, v in data.items()}
