"""Pixport's editing engine: a pure function from (original bytes, specification)
to (result bytes, report). No I/O, no database: the production worker runs it in a
process pool so the event loop never blocks.

INTERFACE (stable; other areas depend on it):
    edit(original: bytes, spec: SpecOptions, fmt: OutputFormat | None = None) -> EditResult
        Makes ``fmt`` (default spec.formats[0]). Raises EngineError when the original
        cannot be edited. When ``retoucher_reason`` is set the result is only a starting
        point: a person must do or check the image (spec the engine cannot do, such as
        retouching or clipping paths, or a cut-out below CONFIDENCE_FLOOR).
    engine_can_do(spec) -> str | None   why a person must do this spec, known before editing
    EngineError(code, message)          codes: CORRUPT, TOO_LARGE, UNSUPPORTED_FORMAT, ANIMATED,
                                        MAX_BYTES_UNREACHABLE, NOTHING_TO_DRAW
    CONFIDENCE_FLOOR
The modules: decode (safe open, orientation, sRGB), segment (cut-out + confidence),
layout (canvas and placement, shared with the validator), pipeline (edit), encode.
"""

from .errors import EngineError
from .pipeline import edit, engine_can_do
from .types import CONFIDENCE_FLOOR, EditResult

__all__ = ["CONFIDENCE_FLOOR", "EditResult", "EngineError", "edit", "engine_can_do"]
