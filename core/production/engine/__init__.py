"""Pixport's editing engine: a pure function from (original bytes, specification)
to (result bytes, report). No I/O, no database: the production worker runs it in a
process pool so the event loop never blocks.

INTERFACE (stable; other areas depend on it):
    edit(original: bytes, spec: SpecOptions, fmt: OutputFormat | None = None) -> EditResult
    EngineError(code, message)  -- the input cannot be edited (corrupt, bomb, format)
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageOps

from core.specs.options import OutputFormat, SpecOptions

CONFIDENCE_FLOOR = 0.9  # below it, a retoucher takes the image


class EngineError(Exception):
    """The original cannot be edited; ``code`` is stable (CORRUPT, TOO_LARGE, UNSUPPORTED_FORMAT…)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class EditResult:
    data: bytes
    format: str  # "JPEG", "PNG", "WEBP", "TIFF"
    width: int
    height: int
    confidence: float  # 0..1, how sure the engine is of its cut-out
    retoucher_reason: str | None = None  # set: a person must do (or check) this image
    report: dict[str, Any] = field(default_factory=dict)  # steps applied, for "how it was edited"


def edit(original: bytes, spec: SpecOptions, fmt: OutputFormat | None = None) -> EditResult:
    # Placeholder until the engine lands: orientation, resize, encode.
    fmt = fmt or spec.formats[0]
    try:
        im = ImageOps.exif_transpose(Image.open(io.BytesIO(original))).convert("RGB")
    except Exception as e:  # noqa: BLE001
        raise EngineError("CORRUPT", f"The file cannot be read as an image: {e}") from e
    out = io.BytesIO()
    im.save(out, fmt.value, quality=spec.quality)
    return EditResult(out.getvalue(), fmt.value, im.width, im.height, 1.0, None, {"steps": ["orientation"]})
