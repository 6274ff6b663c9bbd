"""The engine's result type and confidence floor (imported by the pipeline and re-exported)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CONFIDENCE_FLOOR = 0.9  # below it, a retoucher takes the image


@dataclass(frozen=True, slots=True)
class EditResult:
    data: bytes
    format: str  # "JPEG", "PNG", "WEBP", "TIFF"
    width: int
    height: int
    confidence: float  # 0..1, how sure the engine is of its cut-out (1.0 when nothing was cut)
    retoucher_reason: str | None = None  # set: a person must do (or check) this image; data is a starting point
    report: dict[str, Any] = field(default_factory=dict)  # steps applied, for "how it was edited"
