"""One check of a result against its specification, used on every engine result
and every retoucher upload (a retoucher upload is just bytes + spec).

INTERFACE (stable): validate(data: bytes, spec: SpecOptions, fmt: OutputFormat | None = None) -> list[Problem]
An empty list means the result counts. ``fmt`` None accepts any of the spec's formats.

Checks: readable (same hardened open as the engine), format, no EXIF rotation left,
dimensions (layout.expected), bytes, DPI (JPEG, PNG, TIFF), alpha present or absent,
and, when the background is replaced: the border in the background colour and the
product's margins within 1 px. The product's edge is found where the difference from
the background reaches half of the contrast just inside it (the engine trims at half
coverage too), so JPEG ringing and soft edges do not move it. With a shadow (drawn or
kept) the margins are lower bounds measured to anything visible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.production.engine.decode import orientation, probe
from core.production.engine.errors import EngineError
from core.production.engine.layout import expected, resolve_margins
from core.specs.options import Alignment, BackgroundKind, CropKind, OutputFormat, Shadow, SpecOptions

SIDES = ("left", "top", "right", "bottom")
# centred: each side within 1 px of the middle, which an odd leftover splits unevenly
CENTRED = 3


@dataclass(frozen=True, slots=True)
class Problem:
    check: str  # "file", "format", "dimensions", "margins", "max_bytes", "background", "alpha", "dpi", "metadata"
    message: str


def validate(data: bytes, spec: SpecOptions, fmt: OutputFormat | None = None) -> list[Problem]:
    problems: list[Problem] = []
    try:
        im = probe(data)
        im.load()
    except EngineError as e:
        return [Problem("file", f"{e.code}: {e.message}")]
    except Exception as e:  # noqa: BLE001 - anything a decoder raises is an unreadable upload
        return [Problem("file", f"The file cannot be read: {e}")]
    allowed = [fmt.value] if fmt else [f.value for f in spec.formats]
    if im.format not in allowed:
        problems.append(Problem("format", f"The file is {im.format}; expected {' or '.join(allowed)}."))
    if orientation(im) != 1:
        problems.append(Problem("metadata", "The file still carries an EXIF rotation; save it upright."))
    W, H = im.size
    problems += _dimensions(spec, W, H)
    if spec.max_file_bytes is not None and len(data) > spec.max_file_bytes:
        problems.append(Problem("max_bytes", f"The file has {len(data)} bytes; at most {spec.max_file_bytes}."))
    dpi = im.info.get("dpi")
    if im.format in ("JPEG", "PNG", "TIFF") and (not dpi or abs(float(dpi[0]) - spec.dpi) > 1):
        problems.append(Problem("dpi", f"The file is at {round(float(dpi[0])) if dpi else 'no'} dpi; "
                                       f"expected {spec.dpi}."))

    kind = spec.background.kind
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    rgba = im.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"))
    if kind == BackgroundKind.TRANSPARENT and (not has_alpha or alpha.min() == 255):
        problems.append(Problem("alpha", "A transparent background needs an alpha channel with transparent pixels."))
        return problems
    if kind in (BackgroundKind.WHITE, BackgroundKind.COLOUR) and has_alpha and alpha.min() < 255:
        problems.append(Problem("alpha", "The background must be opaque; the file has transparent pixels."))
    if kind == BackgroundKind.KEEP:
        return problems  # the original backdrop: nothing tells the product from it

    # distance of every pixel from the background
    if kind == BackgroundKind.TRANSPARENT:
        diff = alpha.astype(np.int16)
        fill_name = "transparent"
    else:
        c = spec.background.colour or "#FFFFFF"
        fill = np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], np.int16)
        diff = np.abs(np.asarray(rgba.convert("RGB"), np.int16) - fill).max(axis=2)
        fill_name = c if kind == BackgroundKind.COLOUR else "white"
    # the same thresholds for every format: a PNG saved from a JPEG carries its artefacts
    noise, visible = 12, 24
    margins = resolve_margins(spec, W, H)
    shadowed = spec.shadow != Shadow.NONE or spec.keep_original_shadow

    # the border, on every side that should be background
    edges = {"left": diff[:, 0], "top": diff[0], "right": diff[:, -1], "bottom": diff[-1]}
    for side, m in zip(SIDES, margins):
        if m >= 2 and np.mean(edges[side] > noise) > 0.01:
            problems.append(Problem("background", f"The {side} edge is not {fill_name}."))

    box = _visible_box(diff, visible) if shadowed else _solid_box(diff, visible)
    if box is None:
        problems.append(Problem("margins", "No product is visible on the background."))
        return problems
    got = (box[0], box[1], W - box[2], H - box[3])  # left, top, right, bottom
    for side, g, m in zip(SIDES, got, margins):
        if g < m - 1:
            problems.append(Problem("margins", f"The {side} margin is {g} px; at least {m} px expected."))
    if shadowed or spec.crop.kind == CropKind.NONE or problems and problems[-1].check == "margins":
        return problems
    near = [abs(g - m) <= 1 for g, m in zip(got, margins)]
    across, down = near[0] and near[2], near[1] and near[3]
    if not (across or down):
        problems.append(Problem("margins", f"The product does not fill the room inside the margins "
                                           f"(margins {got}, expected {margins} on one axis)."))
    elif not down:
        want = {Alignment.TOP: abs(got[1] - margins[1]) <= 1, Alignment.BOTTOM: abs(got[3] - margins[3]) <= 1,
                Alignment.CENTRE: abs((got[1] - margins[1]) - (got[3] - margins[3])) <= CENTRED}[spec.alignment]
        if not want:
            problems.append(Problem("margins", f"The product is not aligned {spec.alignment.value.lower()} "
                                               f"(top {got[1]} px, bottom {got[3]} px)."))
    elif not across and abs((got[0] - margins[0]) - (got[2] - margins[2])) > CENTRED:
        problems.append(Problem("margins", f"The product is not centred (left {got[0]} px, right {got[2]} px)."))
    return problems


def _dimensions(spec: SpecOptions, W: int, H: int) -> list[Problem]:
    e = expected(spec)
    out: list[Problem] = []
    if e.exact and (W, H) != e.exact:
        out.append(Problem("dimensions", f"The image is {W}x{H}; expected {e.exact[0]}x{e.exact[1]}."))
    if e.ratio:
        aw, ah = e.ratio
        if abs(W * ah - H * aw) > max(aw, ah):
            out.append(Problem("dimensions", f"The image is {W}x{H}; expected the ratio {aw}:{ah}."))
    if e.max and (W > e.max[0] or H > e.max[1]):
        out.append(Problem("dimensions", f"The image is {W}x{H}; at most {e.max[0]}x{e.max[1]}."))
    return out


def _visible_box(diff: np.ndarray, visible: int) -> tuple[int, int, int, int] | None:
    m = diff > visible
    ys, xs = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
    if not len(xs):
        return None
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


def _solid_box(diff: np.ndarray, visible: int) -> tuple[int, int, int, int] | None:
    """The product's box: pixels at least 40 % as different from the background as the
    product's visible pixels are in the median. Compression ringing (up to a 16-px chroma block from an edge)
    stays well below that; an edge pixel counts from about half coverage, as the engine trims."""
    seen = diff > visible
    if not seen.any():
        return None
    contrast = float(np.median(diff[seen]))
    return _visible_box(diff, max(visible, int(0.4 * contrast)))
