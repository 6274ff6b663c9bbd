"""The CPU work of production, as plain functions the process pool runs: the engine's
edit followed by the validator, and the check of a retoucher's upload. No I/O here."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from core.production.engine import EditResult, EngineError, edit
from core.production.validator import Problem, validate
from core.specs.options import OutputFormat, SpecOptions

ALLOWED_UPLOAD_FORMATS = frozenset(f.value for f in OutputFormat)


@dataclass(frozen=True, slots=True)
class Refused:
    """The engine's EngineError as plain data: an exception crosses the process boundary
    by pickling, and one whose constructor takes other arguments than ``args`` fails to
    unpickle in the parent — which breaks the whole pool."""

    code: str
    message: str


def edit_and_check(original: bytes, spec: SpecOptions, fmt: OutputFormat
                   ) -> tuple[EditResult, list[Problem]] | Refused:
    try:
        result = edit(original, spec, fmt)
    except EngineError as exc:
        return Refused(exc.code, exc.message)
    return result, validate(result.data, spec, fmt)


@dataclass(frozen=True, slots=True)
class UploadFacts:
    format: str
    width: int
    height: int
    problems: list[Problem]


def check_upload(data: bytes, spec: SpecOptions, fmt: OutputFormat) -> UploadFacts:
    """What a retoucher's file is, and what keeps it from counting. Pillow's
    decompression-bomb limit stays on: a bomb is refused, never decoded."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            kind, size = im.format, im.size
            im.verify()
    except Image.DecompressionBombError:
        return UploadFacts("", 0, 0, [Problem("dimensions", "The image has too many pixels to be decoded safely.")])
    except Exception:  # noqa: BLE001 - whatever Pillow raises, the file is not a usable image
        return UploadFacts("", 0, 0, [Problem("format", "The file is not a readable image.")])
    if kind not in ALLOWED_UPLOAD_FORMATS or kind != fmt.value:
        return UploadFacts(kind or "", *size, [Problem("format", f"The specification asks for {fmt.value}; "
                                                                  f"this file is {kind or 'not an image'}.")])
    return UploadFacts(kind, *size, validate(data, spec, fmt))
