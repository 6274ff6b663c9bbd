"""Where the content goes: the output canvas and the content's rectangle in it.

Pure arithmetic, shared with the validator (which needs the expected dimensions).

Conventions (documented for the merchant and the retoucher alike):
- The *content* is the subject's box (crop TRIM, ASPECT, EXACT) or the whole picture
  (crop NONE), plus room for a synthetic shadow or a kept natural shadow.
- Percent margins are a share of the output canvas side (left/right of the width,
  top/bottom of the height); pixel margins are output pixels.
- Canvas: size CANVAS gives it; else crop EXACT gives it (fitted within size MAX);
  else it is the content at its original scale plus margins, widened to the aspect
  ratio for crop ASPECT, then shrunk to fit size MAX (never enlarged), capped at MAX_SIDE
  and MAX_DERIVED_PIXELS (huge percent margins around a big product would otherwise ask for GBs).
- The content is scaled to fill the room inside the margins on one axis; on the other
  axis it is centred horizontally, placed vertically by the alignment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.specs.options import MAX_SIDE, Alignment, CropKind, MarginUnit, SizeMode, SpecOptions


MAX_DERIVED_PIXELS = 50_000_000  # a canvas the spec does not size explicitly stays below this


@dataclass(frozen=True)
class Placement:
    canvas: tuple[int, int]
    rect: tuple[int, int, int, int]  # content's (x, y, w, h) in the canvas
    margins: tuple[int, int, int, int]  # resolved (left, top, right, bottom) in output pixels


@dataclass(frozen=True)
class Expected:
    exact: tuple[int, int] | None = None
    ratio: tuple[int, int] | None = None
    max: tuple[int, int] | None = None


def expected(spec: SpecOptions) -> Expected:
    """What the output's dimensions must satisfy, knowing only the spec."""
    s, c = spec.size, spec.crop
    if s.mode == SizeMode.CANVAS:
        return Expected(exact=(s.width, s.height))
    limit = (s.width, s.height) if s.mode == SizeMode.MAX else None
    if c.kind == CropKind.EXACT:
        if limit is None:
            return Expected(exact=(c.width, c.height))
        return Expected(ratio=(c.width, c.height), max=limit)
    if c.kind == CropKind.ASPECT:
        return Expected(ratio=(c.aspect_width, c.aspect_height), max=limit)
    return Expected(max=limit)


def resolve_margins(spec: SpecOptions, w: int, h: int) -> tuple[int, int, int, int]:
    m = spec.margins
    if m.unit == MarginUnit.PX:
        return round(m.left), round(m.top), round(m.right), round(m.bottom)
    return round(w * m.left / 100), round(h * m.top / 100), round(w * m.right / 100), round(h * m.bottom / 100)


def _fit(w: float, h: float, bw: float, bh: float) -> float:
    return min(1.0, bw / w, bh / h)


def canvas_size(spec: SpecOptions, cw: float, ch: float) -> tuple[int, int]:
    s, c, m = spec.size, spec.crop, spec.margins
    if s.mode == SizeMode.CANVAS:
        return s.width, s.height
    limit = (s.width, s.height) if s.mode == SizeMode.MAX else (MAX_SIDE, MAX_SIDE)
    if c.kind == CropKind.EXACT:
        w, h = float(c.width), float(c.height)
    else:
        if m.unit == MarginUnit.PX:
            w, h = cw + m.left + m.right, ch + m.top + m.bottom
        else:
            w, h = cw / (1 - (m.left + m.right) / 100), ch / (1 - (m.top + m.bottom) / 100)
        if c.kind == CropKind.ASPECT:
            a = c.aspect_width / c.aspect_height
            if w / h < a:
                w = h * a
            else:
                h = w / a
    f = min(_fit(w, h, *limit), _fit(w, h, MAX_SIDE, MAX_SIDE), math.sqrt(min(1.0, MAX_DERIVED_PIXELS / (w * h))))
    w, h = w * f, h * f
    if c.kind == CropKind.ASPECT:  # round so the ratio holds to the pixel
        aw, ah = c.aspect_width, c.aspect_height
        if w / aw <= h / ah:
            W = max(1, math.floor(w + 0.5)); H = max(1, round(W * ah / aw))
        else:
            H = max(1, math.floor(h + 0.5)); W = max(1, round(H * aw / ah))
        return W, H
    if c.kind == CropKind.EXACT and f < 1:
        return max(1, math.floor(w)), max(1, math.floor(h))
    return max(1, round(w)), max(1, round(h))


def place(spec: SpecOptions, cw: float, ch: float) -> Placement:
    """Canvas and content rectangle for content of ``cw`` x ``ch`` original pixels."""
    W, H = canvas_size(spec, cw, ch)
    left, top, right, bottom = resolve_margins(spec, W, H)
    room_w, room_h = max(1, W - left - right), max(1, H - top - bottom)
    scale = min(room_w / cw, room_h / ch)
    w = max(1, min(room_w, round(cw * scale)))
    h = max(1, min(room_h, round(ch * scale)))
    x = left + (room_w - w) // 2
    if spec.alignment == Alignment.TOP:
        y = top
    elif spec.alignment == Alignment.BOTTOM:
        y = H - bottom - h
    else:
        y = top + (room_h - h) // 2
    return Placement((W, H), (x, y, w, h), (left, top, right, bottom))
