"""validate(bytes, spec): what a retoucher's upload (or an engine result) must satisfy.
Uploads are made the way a retoucher would: from a good result, one thing wrong."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.production.engine import edit
from core.production.validator import validate
from core.specs.options import OutputFormat
from core.specs.options import validate as spec_of
from plugins.bigcommerce.sandbox import render
from plugins.bigcommerce.sandbox.catalog import Picture

SPEC = spec_of({"background": {"kind": "WHITE"}, "crop": {"kind": "EXACT", "width": 300, "height": 300},
                "margins": {"top": 10, "bottom": 10, "left": 10, "right": 10}, "formats": ["JPEG", "PNG"],
                "max_file_bytes": 60_000, "dpi": 300})


@pytest.fixture(scope="module")
def good() -> Image.Image:
    pic = Picture(9101, "ball", (170, 28, 48), "sweep", 360, 360, "JPEG", 90, 1)
    result = edit(render.encode(pic), SPEC)
    assert validate(result.data, SPEC) == []
    return Image.open(io.BytesIO(result.data)).convert("RGB")


def save(im: Image.Image, fmt: str = "JPEG", **kw) -> bytes:
    buf = io.BytesIO()
    kw.setdefault("dpi", (300, 300))
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def checks(data: bytes, spec=SPEC, fmt=None) -> set[str]:
    return {p.check for p in validate(data, spec, fmt)}


def test_a_correct_upload_passes_in_any_of_the_spec_formats(good):
    assert checks(save(good)) == set()
    assert checks(save(good, "PNG")) == set()
    assert checks(save(good, "PNG"), fmt=OutputFormat.JPEG) == {"format"}
    assert checks(save(good, "WEBP")) == {"format"}


def test_wrong_dimensions_bytes_dpi_and_leftover_rotation(good):
    assert "dimensions" in checks(save(good.resize((320, 300))))
    assert checks(save(good, "PNG", compress_level=0)) == {"max_bytes"}
    assert checks(save(good, dpi=(72, 72))) == {"dpi"}
    exif = Image.Exif()
    exif[0x0112] = 6
    assert checks(save(good, exif=exif.tobytes())) == {"metadata"}
    aspect = spec_of({"background": {"kind": "WHITE"}, "crop": {"kind": "ASPECT", "aspect_width": 4,
                                                                "aspect_height": 3}})
    assert "dimensions" not in checks(save(Image.new("RGB", (401, 300), "white")), aspect)
    assert "dimensions" in checks(save(Image.new("RGB", (410, 300), "white")), aspect)


def test_margins_hold_to_one_pixel(good):
    a = np.asarray(good)
    for shift, ok in [(1, True), (4, False)]:
        moved = np.full_like(a, 255)
        moved[:, shift:] = a[:, :-shift]
        problems = validate(save(Image.fromarray(moved)), SPEC)
        assert (problems == []) is ok, problems
        if not ok:
            assert {p.check for p in problems} == {"margins"}
    smaller = Image.new("RGB", good.size, "white")
    smaller.paste(good.resize((270, 270)), (15, 15))  # centred, but not filling the room
    assert checks(save(smaller)) == {"margins"}


def test_background_and_alpha(good):
    lined = good.copy()
    lined.paste((200, 200, 200), (0, 0, 300, 2))
    assert "background" in checks(save(lined))
    with_alpha = good.convert("RGBA")
    with_alpha.putpixel((0, 0), (255, 255, 255, 0))
    assert "alpha" in checks(save(with_alpha, "PNG"))
    transparent = spec_of({"background": {"kind": "TRANSPARENT"}, "formats": ["PNG"], "dpi": 300})
    assert "alpha" in checks(save(good, "PNG"), transparent)
    cut = good.convert("RGBA")
    cut.putalpha(Image.fromarray(np.where(np.asarray(good.convert("L")) < 250, 255, 0).astype(np.uint8)))
    assert checks(save(cut, "PNG"), transparent) == set()


def test_unreadable_uploads_are_reported_not_raised():
    assert checks(b"") == {"file"}
    assert checks(b"GIF89a garbage") == {"file"}
    assert [p.message[:9] for p in validate(_bomb(), SPEC)] == ["TOO_LARGE"]


def _bomb() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
