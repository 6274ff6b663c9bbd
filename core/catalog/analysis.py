"""What an image file is: dimensions, format, bytes, content hash, perceptual hash
and background kind — a pure, synchronous function of the bytes.

``analyze(data)`` is CPU work: the analysis job runs it in a process pool (see
``core.catalog.analyze``), never on the event loop.

Untrusted input, so (reference/reliability-performance.md A4):

- only the formats in ``FORMATS`` are parsed (``Image.open(formats=...)``: no EPS,
  no exotic plugin ever sees the bytes);
- the pixel count is checked from the header before anything is decoded (our own
  ``MAX_PIXELS``, lower than Pillow's), and Pillow's ``DecompressionBombWarning`` is
  an error too;
- truncated or corrupt data, zero-size images and unknown formats raise
  ``Unreadable(reason)``; nothing else escapes for bad bytes.

Speed (C2): width and height come from the header. Hashing and the background
are computed on a small version: JPEG files are decoded in draft mode (the DCT
scales by 1/2, 1/4 or 1/8 while decoding), other formats are decoded and then
box-reduced. The full-size pixels of a JPEG are never built.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image, UnidentifiedImageError

from core.catalog.models import BackgroundKind

# Pillow format name -> the name we store. BigCommerce accepts BMP, GIF, JPEG, PNG,
# WEBP (and WBMP/XBM, which nobody uses); TIFF is read because studios deliver it.
# MPO is a JPEG with extra pictures appended (many phone cameras write it).
FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "GIF", "BMP": "BMP", "TIFF": "TIFF"}
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # the JPEG plugin also opens MPO

# 50 MP: more than any product photo a store serves (BigCommerce caps files at 8 MB),
# well under Pillow's 89 MP warning; a decoded RGBA picture this size is 200 MB.
MAX_PIXELS = 50_000_000

# The small version's size: JPEG draft picks the largest DCT scale (≤ 1/8) that keeps
# both sides ≥ this; other formats are box-reduced to about this. 64 px is plenty for
# a 32×32 pHash and for telling a smooth backdrop from a textured one.
WORK_SIZE = 64

_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}

# Background thresholds, checked against the sandbox's pictures whose true background
# is known (tests/core/catalog/test_analysis.py). The border ring is the outer
# ``BORDER_SHARE`` of each side of the small, upright version.
BORDER_SHARE = 0.04
TRANSPARENT_ALPHA = 32  # a border pixel with alpha below this is see-through
TRANSPARENT_SHARE = 0.5  # "mostly transparent": a product may touch the edge
WHITE_MIN = 238  # every channel at least this (pure white is 255; JPEG noise costs a few)
LIGHT_LUMA = 175  # a light backdrop: a grey sweep runs ~200..245, its shadow darker
NEUTRAL_CHROMA = 12  # max - min channel: grey, not a colour (a sweep is grey; JPEG adds a few)
UNIFORM_SHARE = 0.85  # share of border pixels that must pass, so a product touching the edge is fine
ROUGH_MAX = 3.0  # median |difference| between neighbouring border pixels: texture/noise is above


class Unreadable(Exception):
    """The bytes are not an image Pixport can read; ``reason`` says why, for the merchant."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ImageFacts:
    width: int  # as displayed (EXIF orientation applied)
    height: int
    format: str  # JPEG, PNG, WEBP, GIF, BMP, TIFF
    file_bytes: int
    sha256: str  # hex
    phash: int  # 64-bit pHash as a signed int (fits a BIGINT column)
    background: BackgroundKind
    colour_grid: str = ""  # see colour_grid(): 96 hex digits


def analyze(data: bytes) -> ImageFacts:
    if not data:
        raise Unreadable("The file is empty.")
    digest = hashlib.sha256(data).hexdigest()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Unreadable("The image declares too many pixels (a decompression bomb).") from None
        except UnidentifiedImageError:
            raise Unreadable("Not an image in a supported format (JPEG, PNG, WebP, GIF, BMP, TIFF).") from None
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types on bad headers
            raise Unreadable(f"The image header is corrupt ({type(exc).__name__}).") from None
        with im:
            fmt = FORMATS.get(im.format or "")
            if fmt is None:
                raise Unreadable("Not an image in a supported format (JPEG, PNG, WebP, GIF, BMP, TIFF).")
            width, height = im.size
            if width <= 0 or height <= 0:
                raise Unreadable("The image has no pixels (zero width or height).")
            if width * height > MAX_PIXELS:
                raise Unreadable(
                    f"The image declares {width}×{height} pixels, more than {MAX_PIXELS // 1_000_000} MP "
                    "(a decompression bomb?)."
                )
            orientation = _orientation(im)
            try:
                small = _small_version(im)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise Unreadable("The image declares too many pixels (a decompression bomb).") from None
            except Exception as exc:  # noqa: BLE001 - truncated/corrupt data, unknown modes
                raise Unreadable(f"The image data is truncated or corrupt ({_describe(exc)}).") from None
    if orientation in _TRANSPOSE:
        for op in _TRANSPOSE[orientation]:
            small = small.transpose(op)
        if orientation >= 5:
            width, height = height, width
    return ImageFacts(
        width=width,
        height=height,
        format=fmt,
        file_bytes=len(data),
        sha256=digest,
        phash=perceptual_hash(small),
        background=background_kind(small),
        colour_grid=colour_grid(small),
    )


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:120] if text else type(exc).__name__


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block only loses the orientation
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _small_version(im: Image.Image) -> Image.Image:
    """The first frame, about ``WORK_SIZE`` px, as RGB or RGBA, upright not yet."""
    if im.format in ("JPEG", "MPO"):
        im.draft("RGB", (WORK_SIZE, WORK_SIZE))
    im.load()  # decodes the whole stream: truncated data fails here
    factor = min(im.size) // WORK_SIZE
    if factor >= 2:
        im = im.reduce(factor) if im.mode in _REDUCIBLE else im.convert(_mode_for(im)).reduce(factor)
    return im.convert(_mode_for(im))


_REDUCIBLE = {"L", "LA", "RGB", "RGBA", "RGBa", "La", "CMYK", "I", "F"}


def _mode_for(im: Image.Image) -> str:
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        return "RGBA"
    return "RGB"


def _on_white(small: Image.Image) -> Image.Image:
    """An RGBA picture shown on a white page (how a store displays it)."""
    if small.mode != "RGBA":
        return small
    white = Image.new("RGB", small.size, (255, 255, 255))
    white.paste(small, mask=small.getchannel("A"))
    return white


def perceptual_hash(small: Image.Image) -> int:
    """imagehash's pHash (32×32 grey, 2-D DCT, 8×8 low frequencies against their
    median) of the picture on white, as a signed 64-bit int. Transparent pixels carry
    arbitrary colour (encoders change it freely), so they are flattened first."""
    bits = imagehash.phash(_on_white(small)).hash.flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value - (1 << 64) if value >= 1 << 63 else value


COLOUR_GRID = 4  # cells per side


def colour_grid(small: Image.Image) -> str:
    """The picture on white, box-averaged to 4×4 cells, as 48 RGB bytes in hex.

    pHash ignores colour and is blind to small shifts of scale and position, so
    different products with the same silhouette can share a pHash. The mean colour of
    each cell tells them apart (and carries layout), while a re-encoding moves a
    cell's mean by a level or two (core.carts.groups compares them)."""
    cells = _on_white(small).convert("RGB").resize((COLOUR_GRID, COLOUR_GRID), Image.Resampling.BOX)
    return cells.tobytes().hex()


def hamming(a: int, b: int) -> int:
    """Bits that differ between two stored (signed) 64-bit hashes."""
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def _ring(arr: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The four border strips (each oriented so axis 1 runs along the edge) and all
    their pixels, stacked (N, channels)."""
    h, w = arr.shape[:2]
    t = max(1, round(min(h, w) * BORDER_SHARE))
    strips = [arr[:t], arr[h - t:], arr[:, :t].swapaxes(0, 1), arr[:, w - t:].swapaxes(0, 1)]
    pixels = np.concatenate([s.reshape(-1, arr.shape[2]) for s in strips])
    return strips, pixels


def background_kind(small: Image.Image) -> BackgroundKind:
    """What surrounds the product, judged from the border ring of the small version."""
    rgba = np.asarray(small.convert("RGBA") if small.mode != "RGBA" else small, dtype=np.int32)
    strips, ring = _ring(rgba)
    if small.mode == "RGBA" and np.mean(ring[:, 3] < TRANSPARENT_ALPHA) >= TRANSPARENT_SHARE:
        return BackgroundKind.TRANSPARENT
    flat = np.asarray(_on_white(small), dtype=np.int32)
    strips, ring = _ring(flat)
    lo = ring.min(axis=1)
    hi = ring.max(axis=1)
    if np.mean(lo >= WHITE_MIN) >= UNIFORM_SHARE:
        return BackgroundKind.WHITE
    luma = (ring[:, 0] * 299 + ring[:, 1] * 587 + ring[:, 2] * 114) / 1000
    light_grey = (luma >= LIGHT_LUMA) & (hi - lo <= NEUTRAL_CHROMA)
    if np.mean(light_grey) >= UNIFORM_SHARE and _roughness(strips) <= ROUGH_MAX:
        return BackgroundKind.LIGHT_UNIFORM
    return BackgroundKind.OTHER


def _roughness(strips: list[np.ndarray]) -> float:
    """Median absolute step between neighbouring pixels along the edges: ~0 for a flat
    or smoothly graded backdrop, large for texture or a scene."""
    steps = [np.abs(np.diff(s, axis=1)).max(axis=2).ravel() for s in strips if s.shape[1] > 1]
    return float(np.median(np.concatenate(steps))) if steps else 0.0
