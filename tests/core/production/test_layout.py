"""Where the content goes (layout.place): the arithmetic the engine and the validator share."""

from __future__ import annotations

from core.production.engine.layout import MAX_DERIVED_PIXELS, expected, place
from core.specs.options import validate as spec_of


def test_trim_keeps_the_original_scale_and_adds_percent_margins_of_the_canvas():
    p = place(spec_of({"crop": {"kind": "TRIM"}, "margins": {"left": 10, "right": 10, "top": 20, "bottom": 0}}),
              800, 600)
    assert p.canvas == (1000, 750)
    assert p.rect == (100, 150, 800, 600)


def test_aspect_ratio_holds_to_the_pixel_and_the_product_is_aligned():
    for w, h in [(333, 517), (1001, 97), (640, 480)]:
        for alignment in ("TOP", "CENTRE", "BOTTOM"):
            spec = spec_of({"crop": {"kind": "ASPECT", "aspect_width": 4, "aspect_height": 5},
                            "margins": {"unit": "PX", "left": 7, "right": 7, "top": 9, "bottom": 3},
                            "alignment": alignment})
            p = place(spec, w, h)
            W, H = p.canvas
            assert abs(W * 5 - H * 4) <= 5  # the ratio, to the pixel
            x, y, cw, ch = p.rect
            assert x >= 7 and y >= 9 and W - x - cw >= 7 and H - y - ch >= 3
            assert abs((x - 7) - (W - x - cw - 7)) <= 1  # centred across
            if alignment == "TOP":
                assert y == 9
            if alignment == "BOTTOM":
                assert H - y - ch == 3


def test_max_size_never_enlarges_and_canvas_size_is_exact():
    small = place(spec_of({"crop": {"kind": "TRIM"}, "size": {"mode": "MAX", "width": 1000, "height": 1000}}),
                  300, 200)
    assert small.canvas == (300, 200) and small.rect == (0, 0, 300, 200)
    big = place(spec_of({"crop": {"kind": "TRIM"}, "size": {"mode": "MAX", "width": 1000, "height": 1000}}),
                3000, 1500)
    assert big.canvas == (1000, 500)
    canvas = place(spec_of({"size": {"mode": "CANVAS", "width": 1600, "height": 1600},
                            "margins": {"left": 10, "right": 10, "top": 10, "bottom": 10}}), 3000, 1500)
    assert canvas.canvas == (1600, 1600) and canvas.rect == (160, 480, 1280, 640)
    assert expected(spec_of({"size": {"mode": "CANVAS", "width": 1600, "height": 1600}})).exact == (1600, 1600)


def test_a_canvas_the_spec_does_not_size_stays_within_bounds():
    huge = place(spec_of({"crop": {"kind": "TRIM"}, "margins": {"left": 49, "right": 49, "top": 49, "bottom": 49}}),
                 3000, 3000)
    assert huge.canvas[0] * huge.canvas[1] <= MAX_DERIVED_PIXELS
    assert huge.margins[0] == round(huge.canvas[0] * 0.49)
