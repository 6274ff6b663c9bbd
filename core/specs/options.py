"""A specification's options: DOMAIN.md's typed fields, validated in ONE place.

``validate(data)`` turns a plain dict (snake_case keys, as the GraphQL input
gives them) into ``SpecOptions`` or raises ``ValidationFailed`` with every problem
at once, each on its field path as the client spells it (``input.background.colour``).
Pydantic checks types and ranges; ``_combinations`` checks what only makes sense
across fields (transparent with JPEG-only output, a new shadow with the original
kept, margins that leave no room).
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import DomainError, ErrorCode, ValidationFailed

MIN_SIDE, MAX_SIDE = 16, 10_000  # output pixels
MAX_MARGIN_PX = 5_000
HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


class BackgroundKind(str, Enum):
    KEEP = "KEEP"
    WHITE = "WHITE"
    TRANSPARENT = "TRANSPARENT"
    COLOUR = "COLOUR"


class CropKind(str, Enum):
    NONE = "NONE"
    TRIM = "TRIM"  # to the subject
    ASPECT = "ASPECT"  # aspect ratio W:H
    EXACT = "EXACT"  # exact pixels


class MarginUnit(str, Enum):
    PX = "PX"
    PERCENT = "PERCENT"


class Alignment(str, Enum):
    TOP = "TOP"
    CENTRE = "CENTRE"
    BOTTOM = "BOTTOM"


class SizeMode(str, Enum):
    ORIGINAL = "ORIGINAL"
    MAX = "MAX"  # fit within width x height
    CANVAS = "CANVAS"  # exact canvas width x height


class OutputFormat(str, Enum):
    JPEG = "JPEG"
    PNG = "PNG"
    WEBP = "WEBP"
    TIFF = "TIFF"


class ColourProfile(str, Enum):
    SRGB = "SRGB"
    ADOBE_RGB = "ADOBE_RGB"


class Shadow(str, Enum):
    NONE = "NONE"
    DROP = "DROP"
    REFLECTION = "REFLECTION"


class Retouch(str, Enum):
    NONE = "NONE"
    BASIC = "BASIC"
    ADVANCED = "ADVANCED"


class Turnaround(str, Enum):
    STANDARD = "STANDARD"
    EXPRESS = "EXPRESS"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Background(_Strict):
    kind: BackgroundKind = BackgroundKind.WHITE
    colour: str | None = None  # "#RRGGBB", only with COLOUR

    @field_validator("colour")
    @classmethod
    def _hex(cls, v: str | None) -> str | None:
        if v is not None and not HEX.match(v):
            raise ValueError("A colour is #RRGGBB in hexadecimal, e.g. #F5F5F5.")
        return v.upper() if v else v


class Crop(_Strict):
    kind: CropKind = CropKind.NONE
    aspect_width: int | None = Field(default=None, ge=1, le=100)
    aspect_height: int | None = Field(default=None, ge=1, le=100)
    width: int | None = Field(default=None, ge=MIN_SIDE, le=MAX_SIDE)
    height: int | None = Field(default=None, ge=MIN_SIDE, le=MAX_SIDE)


class Margins(_Strict):
    unit: MarginUnit = MarginUnit.PERCENT
    top: float = Field(default=0, ge=0)
    right: float = Field(default=0, ge=0)
    bottom: float = Field(default=0, ge=0)
    left: float = Field(default=0, ge=0)


class OutputSize(_Strict):
    mode: SizeMode = SizeMode.ORIGINAL
    width: int | None = Field(default=None, ge=MIN_SIDE, le=MAX_SIDE)
    height: int | None = Field(default=None, ge=MIN_SIDE, le=MAX_SIDE)


class SpecOptions(_Strict):
    background: Background = Background()
    crop: Crop = Crop()
    margins: Margins = Margins()
    alignment: Alignment = Alignment.CENTRE
    size: OutputSize = OutputSize()
    formats: list[OutputFormat] = Field(default_factory=lambda: [OutputFormat.JPEG], min_length=1, max_length=4)
    quality: int = Field(default=90, ge=1, le=100)
    max_file_bytes: int | None = Field(default=None, ge=10_000, le=50_000_000)
    dpi: int = Field(default=72, ge=72, le=1200)
    colour_profile: ColourProfile = ColourProfile.SRGB
    shadow: Shadow = Shadow.NONE  # a new shadow Pixport draws
    keep_original_shadow: bool = False  # the natural shadow of the photo
    retouch: Retouch = Retouch.NONE
    clipping_path: bool = False
    turnaround: Turnaround = Turnaround.STANDARD

    def to_json(self) -> dict:
        return self.model_dump(mode="json")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _path(prefix: str, loc: tuple) -> str:
    parts = [prefix] + [camel(str(p)) if isinstance(p, str) else str(p) for p in loc]
    return ".".join(parts)


_MESSAGES = {
    "greater_than_equal": "Must be at least {ge}.",
    "less_than_equal": "Must be at most {le}.",
    "too_short": "Give at least {min_length}.",
    "too_long": "Give at most {max_length}.",
    "enum": "Unknown value; one of {expected}.",
    "extra_forbidden": "Unknown option.",
}


def _message(err: dict) -> str:
    template = _MESSAGES.get(err["type"])
    if template:
        try:
            return template.format(**(err.get("ctx") or {}))
        except (KeyError, IndexError):
            pass
    msg = err["msg"]
    return msg.removeprefix("Value error, ")


def validate(data: dict[str, Any] | None, prefix: str = "input") -> SpecOptions:
    """The options in ``data`` (missing ones take their defaults), or ValidationFailed."""
    try:
        options = SpecOptions.model_validate(data or {})
    except ValidationError as exc:
        raise ValidationFailed([DomainError(_message(e), field=_path(prefix, e["loc"]), code=ErrorCode.INVALID)
                                for e in exc.errors()]) from None
    errors = _combinations(options, prefix)
    if errors:
        raise ValidationFailed(errors)
    return options


def _combinations(o: SpecOptions, prefix: str) -> list[DomainError]:
    errors: list[DomainError] = []

    def err(path: str, message: str, code: ErrorCode = ErrorCode.INVALID) -> None:
        errors.append(DomainError(message, field=f"{prefix}.{path}", code=code))

    bg = o.background
    if bg.kind == BackgroundKind.COLOUR and not bg.colour:
        err("background.colour", "Give the background colour (#RRGGBB).", ErrorCode.REQUIRED)
    if bg.kind != BackgroundKind.COLOUR and bg.colour:
        err("background.colour", "A colour only goes with a COLOUR background.")
    if len(set(o.formats)) != len(o.formats):
        err("formats", "Each format once.")
    if bg.kind == BackgroundKind.TRANSPARENT and all(f == OutputFormat.JPEG for f in o.formats):
        err("background.kind", "A transparent background needs a format with transparency (PNG, WebP or TIFF); "
            "JPEG cannot be the only output format.")
    if o.shadow != Shadow.NONE and o.keep_original_shadow:
        err("keepOriginalShadow", "Either a new shadow or the original one, not both.")

    c = o.crop
    if c.kind == CropKind.ASPECT and (c.aspect_width is None or c.aspect_height is None):
        err("crop.aspectWidth", "An aspect-ratio crop needs aspectWidth and aspectHeight.", ErrorCode.REQUIRED)
    if c.kind == CropKind.EXACT and (c.width is None or c.height is None):
        err("crop.width", "An exact crop needs width and height in pixels.", ErrorCode.REQUIRED)

    s = o.size
    if s.mode != SizeMode.ORIGINAL and (s.width is None or s.height is None):
        err("size.width", "Give the output width and height in pixels.", ErrorCode.REQUIRED)

    m = o.margins
    if m.unit == MarginUnit.PERCENT:
        for side in ("top", "right", "bottom", "left"):
            if getattr(m, side) > 100:
                err(f"margins.{side}", "A margin is at most 100%.")
        if m.left + m.right >= 100:
            err("margins.left", "Left and right margins leave no room for the product.")
        if m.top + m.bottom >= 100:
            err("margins.top", "Top and bottom margins leave no room for the product.")
    else:
        for side in ("top", "right", "bottom", "left"):
            if getattr(m, side) > MAX_MARGIN_PX:
                err(f"margins.{side}", f"A margin is at most {MAX_MARGIN_PX} px.")
        width = s.width if s.mode != SizeMode.ORIGINAL else (c.width if c.kind == CropKind.EXACT else None)
        height = s.height if s.mode != SizeMode.ORIGINAL else (c.height if c.kind == CropKind.EXACT else None)
        if width is not None and m.left + m.right >= width:
            err("margins.left", f"Left and right margins leave no room in a {width} px wide picture.")
        if height is not None and m.top + m.bottom >= height:
            err("margins.top", f"Top and bottom margins leave no room in a {height} px high picture.")
    return errors
