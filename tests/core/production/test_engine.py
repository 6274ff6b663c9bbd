"""The editing engine on the BigCommerce sandbox's product photos, whose true product
masks are known: cut-out quality (IoU) on studio backgrounds, low confidence on
textured ones, every output of a spec matrix passing the validator, and bad input."""

from __future__ import annotations

import io
import itertools
import pickle
import struct
import zlib
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
import pytest
from PIL import Image, ImageCms

from core.production.engine import CONFIDENCE_FLOOR, EngineError, edit, engine_can_do
from core.production.engine.encode import _save, encode
from core.production.validator import validate
from core.specs.options import OutputFormat
from core.specs.options import validate as spec_of
from plugins.bigcommerce.sandbox import render
from plugins.bigcommerce.sandbox.catalog import COLOURS, Picture

SHAPES = ["bottle", "box", "shirt", "ball", "shoe", "mug", "lamp"]
PALETTE = list(COLOURS.values())
CUTOUT = spec_of({"background": {"kind": "TRANSPARENT"}, "formats": ["PNG"]})


def picture(i: int, background: str, side: int = 320, fmt: str = "JPEG", orientation: int = 1) -> Picture:
    """A seeded sandbox photo: every shape and colour comes round across i."""
    return Picture(7000 + 13 * i + len(background), SHAPES[i % 7], PALETTE[(5 * i) % 16], background,
                   side, side if i % 3 else side * 5 // 4, fmt, 80 + i % 15, orientation)


def iou(result: bytes, pic: Picture) -> float:
    cut = np.asarray(Image.open(io.BytesIO(result)).getchannel("A")) >= 128
    true = np.asarray(render.mask_of(pic)) >= 128
    return float((cut & true).sum() / (cut | true).sum())


@pytest.mark.parametrize("background", ["white", "sweep"])
def test_studio_backgrounds_are_cut_out_with_mean_iou_of_at_least_095(background):
    pics = [picture(i, background, orientation=(1, 6, 1, 3)[i % 4]) for i in range(14)]
    results = [edit(render.encode(p), CUTOUT) for p in pics]
    scores = [iou(r.data, p) for r, p in zip(results, pics)]
    assert np.mean(scores) >= 0.95, scores
    assert min(scores) >= 0.9, scores
    # and most go straight through, without a retoucher
    confident = [r.retoucher_reason is None for r in results]
    assert sum(confident) >= 0.75 * len(results), [r.report["confidence_factors"] for r in results]


def test_textured_backgrounds_go_to_a_retoucher_instead_of_a_bad_cut():
    for i in range(8):
        pic = picture(i, "textured")
        result = edit(render.encode(pic), CUTOUT)
        assert result.confidence < CONFIDENCE_FLOOR
        assert result.retoucher_reason and "confidence" in result.retoucher_reason
        assert result.report["confidence_factors"]["background_noise"] < 0.5


def test_an_original_that_is_already_cut_out_keeps_its_own_mask():
    pic = picture(3, "transparent", fmt="PNG")
    result = edit(render.encode(pic), CUTOUT)
    assert result.confidence == 1.0 and result.retoucher_reason is None
    assert iou(result.data, pic) >= 0.99
    kept = edit(render.encode(pic), spec_of({"background": {"kind": "KEEP"}}))  # to JPEG: on white
    corners = np.asarray(Image.open(io.BytesIO(kept.data)).convert("RGB"))[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners >= 250).all()


BACKGROUNDS = [{"kind": "KEEP"}, {"kind": "WHITE"}, {"kind": "TRANSPARENT"}, {"kind": "COLOUR", "colour": "#E0F0FF"}]
CROPS = [{"kind": "NONE"}, {"kind": "TRIM"}, {"kind": "ASPECT", "aspect_width": 4, "aspect_height": 3},
         {"kind": "EXACT", "width": 200, "height": 260}]
VARIANTS = [  # margins, alignment, size and shadow options, taken in turn through the matrix
    {"margins": {"top": 10, "bottom": 6, "left": 8, "right": 8}},
    {"margins": {"unit": "PX", "top": 12, "bottom": 12, "left": 20, "right": 20}, "alignment": "BOTTOM",
     "size": {"mode": "CANVAS", "width": 300, "height": 240}},
    {"shadow": "DROP", "size": {"mode": "MAX", "width": 180, "height": 180}, "alignment": "TOP"},
    {"keep_original_shadow": True, "margins": {"top": 5, "bottom": 5, "left": 5, "right": 5}},
    {"shadow": "REFLECTION", "margins": {"unit": "PX", "top": 8, "bottom": 8, "left": 8, "right": 8}},
    {"alignment": "TOP", "margins": {"top": 0, "bottom": 20, "left": 3, "right": 3}, "dpi": 300},
]


@pytest.fixture(scope="module")
def matrix_originals() -> list[list[bytes]]:
    """Per studio backdrop, a few products (shapes and colours differ), taken in turn."""
    return [[render.encode(picture(i, "sweep", side=240, orientation=(6, 1, 3)[i % 3])) for i in (5, 8, 13)],
            [render.encode(picture(i, "white", side=220, fmt="PNG")) for i in (2, 9, 11)],
            [render.encode(picture(i, "colored", side=200, fmt="WEBP")) for i in (4, 7, 15)]]


def test_every_output_of_the_spec_matrix_passes_the_validator(matrix_originals):
    cases = 0
    for n, (originals, bg, crop, fmt) in enumerate(itertools.product(
            matrix_originals, BACKGROUNDS, CROPS, ["JPEG", "PNG", "WEBP", "TIFF"])):
        if bg["kind"] == "TRANSPARENT" and fmt == "JPEG":
            continue  # refused by the spec itself
        original = originals[n % len(originals)]
        spec = spec_of({"background": bg, "crop": crop, "formats": [fmt]} | VARIANTS[n % len(VARIANTS)])
        result = edit(original, spec)
        assert result.format == fmt
        assert Image.open(io.BytesIO(result.data)).size == (result.width, result.height)
        assert validate(result.data, spec) == [], (bg, crop, fmt, VARIANTS[n % len(VARIANTS)], result.report)
        cases += 1
    assert cases == 3 * 60


def test_trim_with_percent_margins_is_exact_to_the_pixel():
    spec = spec_of({"background": {"kind": "WHITE"}, "crop": {"kind": "TRIM"}, "formats": ["PNG"],
                    "margins": {"top": 10, "bottom": 10, "left": 10, "right": 10}})
    pic = picture(3, "white", side=300)  # a ball
    result = edit(render.encode(pic), spec)
    true = np.asarray(render.mask_of(pic)) >= 128
    ys, xs = np.nonzero(true)
    w, h = xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()
    assert abs(result.width - w / 0.8) <= 1.5 and abs(result.height - h / 0.8) <= 1.5
    out = np.abs(np.asarray(Image.open(io.BytesIO(result.data)), np.int16) - 255).max(axis=2) > 64
    oy, ox = np.nonzero(out)
    for got, want in [(ox.min(), round(result.width * 0.1)), (oy.min(), round(result.height * 0.1)),
                      (result.width - 1 - ox.max(), round(result.width * 0.1)),
                      (result.height - 1 - oy.max(), round(result.height * 0.1))]:
        assert abs(got - want) <= 1


def test_shrinking_a_large_jpeg_uses_draft_decoding_and_stays_valid():
    pic = picture(1, "white", side=2400)
    spec = spec_of({"background": {"kind": "WHITE"}, "crop": {"kind": "TRIM"},
                    "size": {"mode": "CANVAS", "width": 300, "height": 300},
                    "margins": {"top": 5, "bottom": 5, "left": 5, "right": 5}})
    result = edit(render.encode(pic), spec)
    assert any("draft decode" in s for s in result.report["steps"])
    assert (result.width, result.height) == (300, 300)
    assert validate(result.data, spec) == []


def test_max_file_bytes_is_met_by_the_highest_quality_that_fits():
    rng = np.random.default_rng(1)
    im = Image.fromarray(rng.integers(0, 255, (300, 300, 3), dtype=np.uint8)).resize((600, 600))
    cap = 60_000
    data, quality, tries = encode(im, OutputFormat.JPEG, 95, 72, cap)
    assert len(data) <= cap and quality < 95 and tries <= 8
    assert len(_save(im, OutputFormat.JPEG, quality + 1, 72)) > cap  # one notch better would not fit
    with pytest.raises(EngineError) as lossless:
        encode(im, OutputFormat.PNG, 90, 72, 10_000)
    assert lossless.value.code == "MAX_BYTES_UNREACHABLE"

    spec = spec_of({"background": {"kind": "WHITE"}, "quality": 98, "max_file_bytes": 12_000})
    result = edit(render.encode(picture(6, "sweep", side=500)), spec)
    assert len(result.data) <= 12_000 and result.report["quality"] < 98
    assert validate(result.data, spec) == []


def test_specs_the_engine_cannot_do_still_give_a_starting_point_for_the_retoucher():
    for extra in ({"retouch": "ADVANCED"}, {"retouch": "BASIC"}, {"clipping_path": True}):
        spec = spec_of({"background": {"kind": "WHITE"}} | extra)
        assert engine_can_do(spec)
        result = edit(render.encode(picture(0, "white")), spec)
        assert result.retoucher_reason == engine_can_do(spec)
        assert validate(result.data, spec) == []
    assert engine_can_do(spec_of({"background": {"kind": "WHITE"}})) is None


def test_the_natural_shadow_is_kept_or_dropped_as_the_spec_says():
    original = render.encode(picture(1, "sweep", side=300))
    kept = edit(original, spec_of({"background": {"kind": "WHITE"}, "keep_original_shadow": True, "formats": ["PNG"]}))
    dropped = edit(original, spec_of({"background": {"kind": "WHITE"}, "formats": ["PNG"]}))
    assert "natural shadow kept" in kept.report["steps"]
    grey = [(np.asarray(Image.open(io.BytesIO(r.data)).convert("L")) < 235).sum() for r in (kept, dropped)]
    assert grey[0] > grey[1] * 1.02


def test_output_metadata_is_stripped_and_dpi_set():
    pic = picture(2, "white", side=240, orientation=6)
    source = Image.open(io.BytesIO(render.encode(pic)))
    exif = source.getexif()
    exif[0x010E] = "x" * 60_000  # a huge EXIF description beside the orientation
    buf = io.BytesIO()
    source.save(buf, "JPEG", exif=exif.tobytes(), icc_profile=ImageCms.ImageCmsProfile(
        ImageCms.createProfile("sRGB")).tobytes())
    spec = spec_of({"background": {"kind": "WHITE"}, "dpi": 300})
    result = edit(buf.getvalue(), spec)
    out = Image.open(io.BytesIO(result.data))
    assert (out.width, out.height) == (pic.width, pic.height)  # upright
    assert not out.getexif() and "icc_profile" not in out.info and "exif" not in out.info
    assert round(out.info["dpi"][0]) == 300


# ---- bad input -------------------------------------------------------------------------

def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(width: int, height: int, depth: int, colour: int, raw: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


def _code(data: bytes, spec=CUTOUT) -> str:
    with pytest.raises(EngineError) as refused:
        edit(data, spec)
    return refused.value.code


def test_unreadable_files_are_refused_with_a_clear_code():
    good = render.encode(picture(0, "white"))
    assert _code(good[: len(good) // 2]) == "CORRUPT"
    assert _code(b"") == "CORRUPT"
    assert _code(b"not an image at all" * 50) == "UNSUPPORTED_FORMAT"
    assert _code(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n") == "UNSUPPORTED_FORMAT"


@pytest.mark.parametrize("side", [9_000, 20_000])  # above our limit / above twice Pillow's
def test_a_decompression_bomb_is_refused_before_decoding(side):
    assert _code(_png(side, side, 8, 2, b"\0" * 4096)) == "TOO_LARGE"


def test_an_animated_gif_is_refused():
    frames = [Image.new("RGB", (40, 40), (80 * i, 40, 200 - 60 * i)) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert _code(buf.getvalue()) == "ANIMATED"


def test_cmyk_and_16_bit_originals_are_converted_not_refused():
    pic = picture(0, "white", side=200)
    rgb, _ = render.draw(pic)
    buf = io.BytesIO()
    rgb.convert("RGB").convert("CMYK").save(buf, "JPEG", quality=92)
    result = edit(buf.getvalue(), CUTOUT)
    assert iou(result.data, pic) >= 0.95

    w, h = 64, 48  # a 16-bit RGB PNG: a red square on white
    px = np.full((h, w, 3), 65535, np.uint16)
    px[12:36, 16:48] = (52000, 0, 0)
    raw = b"".join(b"\0" + px[y].astype(">u2").tobytes() for y in range(h))
    result = edit(_png(w, h, 16, 2, raw), spec_of({"background": {"kind": "WHITE"}, "crop": {"kind": "TRIM"},
                                                    "formats": ["PNG"]}))
    out = np.asarray(Image.open(io.BytesIO(result.data)).convert("RGB"))
    assert (result.width, result.height) == (32, 24)
    assert abs(int(out[12, 16][0]) - 52000 // 256) <= 1 and tuple(out[12, 16][1:]) == (0, 0)

    grey = Image.new("I;16", (60, 40), 65535)
    grey.paste(20000, (20, 10, 40, 30))
    buf = io.BytesIO()
    grey.save(buf, "PNG")
    result = edit(buf.getvalue(), spec_of({"background": {"kind": "WHITE"}, "crop": {"kind": "TRIM"}}))
    assert (result.width, result.height) == (20, 20)


def test_edit_is_picklable_and_runs_in_a_process_pool():
    assert pickle.loads(pickle.dumps(edit)) is edit
    err = pickle.loads(pickle.dumps(EngineError("CORRUPT", "damaged")))
    assert (err.code, err.message) == ("CORRUPT", "damaged")
    original = render.encode(picture(4, "white", side=200))
    spec = spec_of({"background": {"kind": "WHITE"}, "crop": {"kind": "TRIM"}})
    with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
        result = pool.submit(edit, original, spec).result(timeout=60)
    assert result.data == edit(original, spec).data
