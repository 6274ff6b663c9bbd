"""Opening untrusted image bytes safely and bringing them to upright 8-bit sRGB.

Pillow's decompression-bomb check stays on and its warning is an error; only
allow-listed formats are sniffed (never EPS and friends); animated files are refused
(editing one frame would silently drop the animation). CMYK, 16-bit and palette
images are converted, not refused. Any ICC profile other than sRGB is converted to
sRGB; a broken one is ignored (the pixels are taken as sRGB) and reported.
"""

from __future__ import annotations

import io
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from .errors import EngineError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP")
MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 60_000_000  # checked after open, below Pillow's own 89 MP bomb limit (left as it is: global)

_SRGB = ImageCms.createProfile("sRGB")
T = Image.Transpose
_TRANSPOSE = {2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE,
              6: T.ROTATE_270, 7: T.TRANSVERSE, 8: T.ROTATE_90}  # as ImageOps.exif_transpose


@dataclass
class Decoded:
    image: Image.Image  # "RGB" or "RGBA", upright, sRGB
    source_format: str
    source_size: tuple[int, int]  # upright size of the original, in original pixels
    scale: float  # decoded pixels per original pixel (< 1 when a JPEG was drafted)
    notes: list[str] = field(default_factory=list)


@contextmanager
def _guarded():
    """Bomb warnings become errors; every decoder failure becomes a typed EngineError."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except EngineError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise EngineError("TOO_LARGE", f"The image has too many pixels to edit safely: {e}") from e
        except UnidentifiedImageError as e:
            raise EngineError("UNSUPPORTED_FORMAT",
                              f"Not an image in an accepted format ({', '.join(ALLOWED_FORMATS)}).") from e
        except MemoryError as e:
            raise EngineError("TOO_LARGE", "The image is too large to edit.") from e
        except (OSError, ValueError, SyntaxError, IndexError, TypeError, KeyError, EOFError) as e:
            raise EngineError("CORRUPT", f"The file is damaged or truncated: {e}") from e


def probe(data: bytes) -> Image.Image:
    """The opened (not yet decoded) image, after the cheap checks; raises EngineError."""
    if not data:
        raise EngineError("CORRUPT", "The file is empty.")
    if len(data) > MAX_INPUT_BYTES:
        raise EngineError("TOO_LARGE", f"The file is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB.")
    with _guarded():
        im = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
        if im.width * im.height > MAX_PIXELS:
            raise EngineError("TOO_LARGE", f"The image has {im.width * im.height} pixels; at most {MAX_PIXELS}.")
        if getattr(im, "is_animated", False) and im.format in ("GIF", "PNG", "WEBP"):
            raise EngineError("ANIMATED", "Animated images cannot be edited; send a still image.")
    return im


def orientation(im: Image.Image) -> int:
    try:
        value = int(im.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - a broken EXIF block means "no rotation", not a failed edit
        return 1
    return value if 1 <= value <= 8 else 1


def upright_size(im: Image.Image) -> tuple[int, int]:
    return (im.height, im.width) if orientation(im) in (5, 6, 7, 8) else im.size


def decode(data: bytes, want: tuple[int, int] | None = None) -> Decoded:
    """Decode ``data``; with ``want`` (upright pixels) a JPEG may be drafted down to at least that size."""
    im = probe(data)
    fmt = im.format
    size = upright_size(im)
    notes: list[str] = []
    with _guarded():
        if want and fmt == "JPEG":
            w, h = want
            if size != im.size:
                w, h = h, w
            if im.draft(im.mode if im.mode in ("RGB", "L", "CMYK") else "RGB", (max(1, w), max(1, h))):
                notes.append(f"draft decode at {im.size[0]}x{im.size[1]}")
        im.load()
        icc = im.info.get("icc_profile")
        turn = orientation(im)
        im = _to_8bit(im)
        if icc:
            im = _to_srgb(im, icc, notes)
        if im.mode not in ("RGB", "RGBA"):
            im = im.convert("RGBA" if "A" in im.getbands() or "transparency" in im.info else "RGB")
        if turn != 1:
            im = im.transpose(_TRANSPOSE[turn])
            notes.append(f"EXIF orientation {turn} applied")
    if im.mode == "RGBA" and im.getextrema()[3][0] == 255:
        im = im.convert("RGB")  # an alpha channel that hides nothing
    scale = im.width / size[0]
    return Decoded(im, fmt, size, scale, notes)


def _to_8bit(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if im.mode.startswith("I;16") or a.max() > 255 else 255.0
        return Image.fromarray(np.clip(a * (255.0 / top) + 0.5, 0, 255).astype(np.uint8), "L")
    if im.mode == "F":
        a = np.asarray(im, dtype=np.float64)
        top = 1.0 if a.max() <= 1.0 else 255.0
        return Image.fromarray(np.clip(a * (255.0 / top) + 0.5, 0, 255).astype(np.uint8), "L")
    if im.mode == "P":
        return im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("1", "L"):
        return im.convert("RGB")
    if im.mode in ("LA", "La", "PA", "RGBa"):
        return im.convert("RGBA")
    return im


def _to_srgb(im: Image.Image, icc: bytes, notes: list[str]) -> Image.Image:
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        name = ImageCms.getProfileDescription(src) or ""
        if "srgb" in name.lower() and im.mode in ("RGB", "RGBA"):
            return im
        alpha = im.getchannel("A") if im.mode == "RGBA" else None
        base = im.convert("RGB") if im.mode == "RGBA" else im
        out = ImageCms.profileToProfile(base, src, _SRGB, outputMode="RGB")
        if alpha is not None:
            out.putalpha(alpha)
        notes.append(f"colour profile {name.strip() or 'embedded'} converted to sRGB")
        return out
    except (ImageCms.PyCMSError, OSError, ValueError) as e:
        notes.append(f"embedded colour profile ignored ({e})")
        return im
