"""edit(): original bytes + specification -> result bytes + report.

Order: probe (size, format, bomb check) -> cut-out on a small working copy (a JPEG is
draft-decoded for it) -> placement (layout.py) -> decode at the resolution the output
needs (JPEG draft when shrinking by half or more) -> one high-quality resize of just
the region shown -> edge matting at output resolution -> compose over the new
background with the shadow asked for -> encode.

Images the engine should not deliver alone are still produced, as a starting point,
with ``retoucher_reason`` set: the production flow sends them to a retoucher instead of
the merchant. Inputs it cannot read raise EngineError.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from core.specs.options import Alignment, BackgroundKind, CropKind, OutputFormat, Retouch, Shadow, SpecOptions

from .decode import Decoded, decode, probe, upright_size
from .encode import encode
from .errors import EngineError
from .layout import place
from .segment import WORK_SIDE, Cutout, refine, segment
from .types import CONFIDENCE_FLOOR, EditResult

DROP_RESERVE = 0.06  # share of the product height kept below it for a synthetic floor shadow
REFLECTION_RESERVE = 0.25
ALPHA_FORMATS = (OutputFormat.PNG, OutputFormat.WEBP, OutputFormat.TIFF)


def engine_can_do(spec: SpecOptions) -> str | None:
    """Why a person must do (part of) this spec, or None when the engine can do it all."""
    if spec.retouch == Retouch.ADVANCED:
        return "Advanced retouching is done by a retoucher."
    if spec.retouch == Retouch.BASIC:
        return "Retouching (dust, scratches, creases) is done by a retoucher."
    if spec.clipping_path:
        return "Clipping paths are drawn by a retoucher."
    if spec.colour_profile.value != "SRGB":
        return "Output in Adobe RGB is exported by a retoucher (the engine writes sRGB)."
    return None


def _fill(spec: SpecOptions) -> tuple[int, ...] | None:
    bg = spec.background
    if bg.kind == BackgroundKind.WHITE:
        return (255, 255, 255)
    if bg.kind == BackgroundKind.COLOUR:
        c = bg.colour or "#FFFFFF"
        return tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))
    if bg.kind == BackgroundKind.TRANSPARENT:
        return (0, 0, 0, 0)
    return None  # KEEP


def _border_colour(im: Image.Image) -> tuple[int, int, int]:
    a = np.asarray(im.convert("RGB").reduce(max(1, max(im.size) // 256)))
    edge = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    return tuple(int(v) for v in np.median(edge, axis=0))


def edit(original: bytes, spec: SpecOptions, fmt: OutputFormat | None = None) -> EditResult:
    started = time.perf_counter()
    fmt = fmt or spec.formats[0]
    steps: list[str] = []
    reasons = [r for r in [engine_can_do(spec)] if r]
    head = probe(original)
    src_format = head.format
    W0, H0 = upright_size(head)
    remove = spec.background.kind != BackgroundKind.KEEP
    need_cut = remove or spec.crop.kind != CropKind.NONE or spec.shadow != Shadow.NONE

    full: Decoded | None = None
    cut: Cutout | None = None
    notes: list[str] = []
    if need_cut:
        if src_format == "JPEG" and max(W0, H0) > 2 * WORK_SIDE:
            f = max(W0, H0) / WORK_SIDE
            small = decode(original, want=(math.ceil(0.8 * W0 / f), math.ceil(0.8 * H0 / f)))
        else:
            small = full = decode(original)
        notes += [n for n in small.notes if not n.startswith('draft')]  # the analysis copy's draft
        cut = segment(small.image)
        steps.append("background analysed" + (" (original already cut out)" if cut.from_alpha else ""))

    # the content box, in original pixels: roughly from the working copy, then to the pixel
    sxw, syw = (W0 / cut.size[0], H0 / cut.size[1]) if cut else (1.0, 1.0)
    subject = cut.bbox() if cut else None
    if cut and subject is None:
        reasons.append("No product could be told apart from the background.")
    trim = cut is not None and subject is not None and spec.crop.kind != CropKind.NONE
    with_shadow = spec.keep_original_shadow and remove
    box = (0.0, 0.0, float(W0), float(H0))
    if trim:
        x0, y0, x1, y1 = cut.bbox(with_shadow=with_shadow)
        box = (x0 * sxw, y0 * syw, x1 * sxw, y1 * syw)
    plan, sx, sy = _plan(spec, box, subject is not None)

    # decode for output: drafted when the output needs at most half the pixels
    if full is None or (src_format == "JPEG" and max(sx, sy) < 0.5 and full.scale == 1.0):
        full = decode(original, want=(math.ceil(W0 * sx * 1.05), math.ceil(H0 * sy * 1.05)))
        notes += [n for n in full.notes if n not in notes]
    rx, ry = full.image.width / W0, full.image.height / H0
    if trim:
        exact = cut.exact_bbox(full.image)
        if exact is not None:
            ex = (exact[0] / rx, exact[1] / ry, exact[2] / rx, exact[3] / ry)
            shadow_box = cut.shadow_bbox() if with_shadow else None
            if shadow_box is not None:
                sb = (shadow_box[0] * sxw, shadow_box[1] * syw, shadow_box[2] * sxw, shadow_box[3] * syw)
                ex = (min(ex[0], sb[0]), min(ex[1], sb[1]), max(ex[2], sb[2]), max(ex[3], sb[3]))
            box = ex
            plan, sx, sy = _plan(spec, box, True)
        steps.append("trimmed to the product")
    W, H = plan.canvas
    px, py, pw, ph = plan.rect

    # the region of the canvas the layer covers: all of it shows the original when the
    # background is kept; only the padded content when it is replaced
    def to_canvas(ox: float, oy: float) -> tuple[float, float]:
        return px + (ox - box[0]) * sx, py + (oy - box[1]) * sy

    sx0, sy0 = to_canvas(0, 0)
    sx1, sy1 = to_canvas(W0, H0)
    if remove:
        pad = math.ceil(2 * max(sx, sy, 1.0)) + 1
        lx0, ly0, lx1, ly1 = px - pad, py - pad, px + pw + pad, py + ph + pad
    else:
        lx0, ly0, lx1, ly1 = 0, 0, W, H
    lx0, ly0 = max(lx0, 0, math.ceil(sx0 - 1e-6)), max(ly0, 0, math.ceil(sy0 - 1e-6))
    lx1, ly1 = min(lx1, W, math.floor(sx1 + 1e-6)), min(ly1, H, math.floor(sy1 + 1e-6))
    lw, lh = lx1 - lx0, ly1 - ly0
    if lw < 1 or lh < 1:
        raise EngineError("NOTHING_TO_DRAW", "The specification leaves no room for the picture.")
    o = (box[0] + (lx0 - px) / sx, box[1] + (ly0 - py) / sy, box[0] + (lx1 - px) / sx, box[1] + (ly1 - py) / sy)
    o = (max(0.0, o[0]), max(0.0, o[1]), min(float(W0), o[2]), min(float(H0), o[3]))
    src_box = (o[0] * rx, o[1] * ry, o[2] * rx, o[3] * ry)
    shrink = (o[2] - o[0]) * rx / lw
    layer = full.image.convert("RGBa") if full.image.mode == "RGBA" else full.image
    layer = layer.resize((lw, lh), Image.Resampling.LANCZOS, box=src_box,
                         reducing_gap=3.0 if shrink > 3 else None)
    if layer.mode == "RGBa":
        layer = layer.convert("RGBA")
    if (lw, lh) != (round((o[2] - o[0]) * rx), round((o[3] - o[1]) * ry)):
        steps.append(f"resized to {pw}x{ph} (Lanczos)")

    fill = _fill(spec)
    transparent_out = fill is not None and len(fill) == 4
    if fill is None:  # KEEP: the margins take the backdrop's colour
        if full.image.mode == "RGBA":  # a cut-out original stays cut out, or goes on white
            fill, transparent_out = ((0, 0, 0, 0), True) if fmt in ALPHA_FORMATS else ((255, 255, 255), False)
        else:
            fill = _border_colour(full.image)
    canvas = Image.new("RGBA" if transparent_out else "RGB", (W, H), fill)

    alpha = rgb = None
    if cut is not None and (remove or spec.shadow != Shadow.NONE):
        wbox = (o[0] / sxw, o[1] / syw, o[2] / sxw, o[3] / syw)
        if cut.from_alpha:
            alpha = np.asarray(layer.getchannel("A"))
            rgb = np.asarray(layer.convert("RGB"))
            shadow = None
        else:
            guide, bg, fg, shadow = cut.sample(wbox, (lw, lh))
            alpha, rgb = refine(np.asarray(layer.convert("RGB")), guide, bg, fg, shadow, cut.t_lo, cut.t_hi)
            if trim and remove and not with_shadow:
                lx0, ly0 = _snap(alpha, (lx0, ly0), plan.rect, spec)
            if remove and spec.keep_original_shadow and shadow is not None:
                keep = np.where(shadow >= 8, shadow, 0).astype(np.uint8)
                _darken(canvas, Image.fromarray(keep), (lx0, ly0))
                steps.append("natural shadow kept")
        if remove:
            steps.append({BackgroundKind.WHITE: "background replaced with white",
                          BackgroundKind.COLOUR: f"background replaced with {spec.background.colour}",
                          BackgroundKind.TRANSPARENT: "background made transparent"}[spec.background.kind])

    if not remove:
        if layer.mode == "RGBA" and canvas.mode == "RGB":
            canvas.paste(layer.convert("RGB"), (lx0, ly0), layer.getchannel("A"))
        else:
            canvas.paste(layer.convert(canvas.mode), (lx0, ly0))
    if alpha is not None and subject is not None and spec.shadow != Shadow.NONE:
        _synthetic_shadow(canvas, spec.shadow, rgb, alpha, (lx0, ly0))
        steps.append("drop shadow drawn" if spec.shadow == Shadow.DROP else "reflection drawn")
    if alpha is not None:
        product = Image.fromarray(rgb)
        if transparent_out:
            product = product.convert("RGBA")
            product.putalpha(Image.fromarray(alpha))
            canvas.alpha_composite(product, (lx0, ly0))
        else:
            canvas.paste(product, (lx0, ly0), Image.fromarray(alpha))
    elif remove:
        canvas.paste(layer.convert(canvas.mode), (lx0, ly0))

    if plan.margins != (0, 0, 0, 0) or (W, H) != (W0, H0):
        steps.append(f"placed on a {W}x{H} canvas, margins {plan.margins} (left, top, right, bottom)")
    if fmt == OutputFormat.JPEG and canvas.mode != "RGB":
        canvas = canvas.convert("RGB")
    data, quality, encodes = encode(canvas, fmt, spec.quality, spec.dpi, spec.max_file_bytes)
    steps.append(f"{fmt.value} quality {quality}, {spec.dpi} dpi, metadata stripped"
                 if fmt in (OutputFormat.JPEG, OutputFormat.WEBP) else f"{fmt.value}, {spec.dpi} dpi, metadata stripped")

    confidence = cut.confidence if cut else 1.0
    if cut and confidence < CONFIDENCE_FLOOR:
        weakest = min((k for k in cut.factors if k not in ("noise_sigma", "subject_share")),
                      key=lambda k: cut.factors[k])
        reasons.append(f"Low confidence in the automatic cut-out ({confidence:.2f}; weakest: {weakest}).")
    report = {
        "steps": notes + steps,
        "confidence": confidence,
        "confidence_factors": cut.factors if cut else {},
        "source": {"format": src_format, "width": W0, "height": H0},
        "canvas": [W, H], "content_rect": list(plan.rect), "margins": list(plan.margins),
        "quality": quality, "encodes": encodes, "bytes": len(data),
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return EditResult(data, fmt.value, W, H, confidence, " ".join(reasons) or None, report)


def _snap(alpha: np.ndarray, at: tuple[int, int], rect: tuple[int, int, int, int],
          spec: SpecOptions) -> tuple[int, int]:
    """Shift the layer so the matted product sits where the plan put it: the box measured on
    the working copy can be a pixel off, and margins must hold to the pixel."""
    solid = alpha >= 128
    rows, cols = np.flatnonzero(solid.any(axis=1)), np.flatnonzero(solid.any(axis=0))
    if not len(rows):
        return at
    x, y, w, h = rect
    left, right = at[0] + int(cols[0]), at[0] + int(cols[-1]) + 1
    top, bottom = at[1] + int(rows[0]), at[1] + int(rows[-1]) + 1
    dx = round((2 * x + w - left - right) / 2)
    if spec.shadow != Shadow.NONE or spec.alignment == Alignment.TOP:
        dy = y - top  # a drawn shadow's room is below the product: keep the top
    elif spec.alignment == Alignment.BOTTOM:
        dy = y + h - bottom
    else:
        dy = round((2 * y + h - top - bottom) / 2)
    if abs(dx) > 3 or abs(dy) > 3:  # not a rounding matter: leave the plan alone
        return at
    return at[0] + dx, at[1] + dy


def _plan(spec: SpecOptions, box: tuple[float, float, float, float], found: bool):
    """Placement for the content ``box`` (original pixels) and its output scale (x, y)."""
    cw, ch = box[2] - box[0], box[3] - box[1]
    reserve = 0.0
    if spec.shadow != Shadow.NONE and spec.crop.kind != CropKind.NONE and found:
        reserve = ch * (DROP_RESERVE if spec.shadow == Shadow.DROP else REFLECTION_RESERVE)
    plan = place(spec, cw, ch + reserve)
    return plan, plan.rect[2] / cw, plan.rect[3] / (ch + reserve)


def _darken(canvas: Image.Image, opacity: Image.Image, at: tuple[int, int]) -> None:
    """Lay black at ``opacity`` over the canvas (a shadow on the new background)."""
    if canvas.mode == "RGBA":
        layer = Image.new("RGBA", opacity.size, (0, 0, 0, 0))
        layer.putalpha(opacity)
        canvas.alpha_composite(layer, at)
    else:
        canvas.paste((0, 0, 0), (*at, at[0] + opacity.width, at[1] + opacity.height), opacity)


def _synthetic_shadow(canvas: Image.Image, kind: Shadow, rgb: np.ndarray, alpha: np.ndarray,
                      at: tuple[int, int]) -> None:
    rows = np.flatnonzero((alpha >= 128).any(axis=1))
    cols = np.flatnonzero((alpha >= 128).any(axis=0))
    if not len(rows):
        return
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    w, h = right - left, bottom - top
    ox, oy = at
    if kind == Shadow.DROP:
        # a soft contact shadow on the floor, inside the room reserved below the product
        rv, blur = max(2.0, 0.03 * h), max(1.0, 0.012 * h)
        cx, cy = ox + (left + right) / 2, oy + bottom - 0.3 * rv
        rh = 0.4 * w
        pad = int(3 * blur) + 2
        x0, y0 = int(cx - rh) - pad, int(cy - rv) - pad
        m = Image.new("L", (int(2 * rh) + 2 * pad + 1, int(2 * rv) + 2 * pad + 1), 0)
        ImageDraw.Draw(m).ellipse((pad, pad, pad + 2 * rh, pad + 2 * rv), fill=120)
        m = m.filter(ImageFilter.GaussianBlur(blur)).point(lambda v: v if v >= 8 else 0)
        _darken(canvas, m, (x0, y0))
    else:
        depth = max(1, min(h, int(REFLECTION_RESERVE * h * 0.9)))
        strip = rgb[bottom - depth:bottom][::-1]
        a = alpha[bottom - depth:bottom][::-1].astype(np.float32)
        fade = np.linspace(0.35, 0.0, depth, dtype=np.float32)[:, None]
        a = (a * fade).astype(np.uint8)
        a[a < 8] = 0
        layer = Image.fromarray(strip).convert("RGBA")
        layer.putalpha(Image.fromarray(a))
        if canvas.mode == "RGBA":
            canvas.alpha_composite(layer, (ox, oy + bottom))
        else:
            canvas.paste(layer.convert("RGB"), (ox, oy + bottom), Image.fromarray(a))
