"""Writing the result: format, quality, DPI, no metadata, and the byte cap.

The canvas is a fresh image, so no EXIF, XMP, ICC or text travels with it (sRGB is
implied). A byte cap on a lossy format is met by a binary search over quality for the
highest quality that fits (about 7 encodes at most); a lossless format tries its
strongest compression. When nothing fits, EngineError MAX_BYTES_UNREACHABLE.
"""

from __future__ import annotations

import io

from PIL import Image

from core.specs.options import OutputFormat

from .errors import EngineError

LOSSY = (OutputFormat.JPEG, OutputFormat.WEBP)
MIN_QUALITY = 10  # below it a result is not worth delivering


def _save(im: Image.Image, fmt: OutputFormat, quality: int, dpi: int, strong: bool = False) -> bytes:
    buf = io.BytesIO()
    if fmt == OutputFormat.JPEG:
        im.save(buf, "JPEG", quality=quality, dpi=(dpi, dpi), optimize=strong)
    elif fmt == OutputFormat.WEBP:
        im.save(buf, "WEBP", quality=quality, method=4)
    elif fmt == OutputFormat.PNG:
        im.save(buf, "PNG", dpi=(dpi, dpi), compress_level=9 if strong else 6)
    else:
        im.save(buf, "TIFF", dpi=(dpi, dpi), compression="tiff_adobe_deflate")
    return buf.getvalue()


def encode(im: Image.Image, fmt: OutputFormat, quality: int, dpi: int,
           max_bytes: int | None) -> tuple[bytes, int, int]:
    """(bytes, quality used, encodes made)."""
    data = _save(im, fmt, quality, dpi)
    if max_bytes is None or len(data) <= max_bytes:
        return data, quality, 1
    if fmt not in LOSSY:
        data = _save(im, fmt, quality, dpi, strong=True)
        if len(data) <= max_bytes:
            return data, quality, 2
        raise EngineError("MAX_BYTES_UNREACHABLE",
                          f"A lossless {fmt.value} of {im.width}x{im.height} takes {len(data)} bytes; "
                          f"the specification allows {max_bytes}.")
    lo, hi, best, tries = MIN_QUALITY, quality - 1, None, 1
    while lo <= hi:  # highest quality whose file fits
        mid = (lo + hi) // 2
        candidate = _save(im, fmt, mid, dpi)
        tries += 1
        if len(candidate) <= max_bytes:
            best, lo = (candidate, mid), mid + 1
        else:
            hi = mid - 1
    if best is None:
        raise EngineError("MAX_BYTES_UNREACHABLE",
                          f"Even at quality {MIN_QUALITY} the {fmt.value} takes more than {max_bytes} bytes.")
    return best[0], best[1], tries
