"""Cutting the product out of a studio background.

The background is modelled from the picture's border (a robust quadratic surface per
channel, so a white seamless or a grey sweep with a vertical gradient both fit), then
every pixel's colour distance to that model seeds a hysteresis segmentation: weak
pixels count only when connected to strong ones. Soft floor shadows (the background
darkened without a change of hue) are told apart from the product and kept as a
separate opacity map, so the spec can drop them or keep them. Holes inside the
product are filled unless they look like the background (a mug's handle).

All of this runs on a working copy of at most WORK_SIDE pixels; ``refine`` then
mattes the uncertain edge band at output resolution (alpha from the projection of
each pixel's colour between the local background and the local product colour).

The confidence multiplies a few factors, each 1 on a clean studio shot: background
noise (a textured backdrop), fit of the border model, subject touching the frame,
subject size, fragments, shadow share and edge contrast. They are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy import ndimage

WORK_SIDE = 512
SHADOW_K_MIN = 0.53  # a shadow darkens the background to no less than this share of its brightness
_EIGHT = np.ones((3, 3), bool)


@dataclass
class Cutout:
    factor: int  # decoded pixels per working pixel
    size: tuple[int, int]  # working (w, h)
    mask: np.ndarray  # bool (h, w): the product
    guide: np.ndarray  # uint8 (h, w): 255 product, 0 background, 128 edge band to matte
    background: np.ndarray  # uint8 (h, w, 3): the background model
    foreground: np.ndarray  # uint8 (h, w, 3): local product colour near the edge
    shadow: np.ndarray  # uint8 (h, w): opacity of the natural shadow, 0 where none
    confidence: float
    factors: dict[str, float] = field(default_factory=dict)
    t_lo: float = 8.0
    t_hi: float = 20.0
    from_alpha: bool = False

    def bbox(self, with_shadow: bool = False) -> tuple[int, int, int, int] | None:
        """(x0, y0, x1, y1) in working pixels, exclusive end; None when nothing was found."""
        m = self.mask | (self.shadow >= 8) if with_shadow else self.mask
        ys = np.flatnonzero(m.any(axis=1))
        xs = np.flatnonzero(m.any(axis=0))
        if not len(xs):
            return None
        return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


def working_copy(im: Image.Image) -> tuple[Image.Image, int]:
    f = max(1, -(-max(im.size) // WORK_SIDE))
    return (im.reduce(f) if f > 1 else im), f


def from_alpha(im: Image.Image) -> Cutout:
    """An original that is already cut out: its alpha is the mask, nothing to guess."""
    small, f = working_copy(im)
    a = np.asarray(small.getchannel("A"))
    mask = a >= 128
    guide = np.where(a == 255, 255, np.where(a == 0, 0, 128)).astype(np.uint8)
    rgb = np.asarray(small.convert("RGB"))
    h, w = mask.shape
    return Cutout(f, (w, h), mask, guide, rgb, rgb, np.zeros((h, w), np.uint8), 1.0,
                  {"alpha": 1.0}, from_alpha=True)


def _design(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.stack([np.ones_like(u), u, v, u * u, v * v, u * v], axis=-1)


def _border(h: int, w: int, width: int) -> np.ndarray:
    b = np.zeros((h, w), bool)
    b[:width], b[-width:], b[:, :width], b[:, -width:] = True, True, True, True
    return b


def segment(im: Image.Image) -> Cutout:
    if im.mode == "RGBA":
        return from_alpha(im)
    small, f = working_copy(im)
    img = np.asarray(small, dtype=np.float32)
    h, w = img.shape[:2]
    n = h * w

    # 1. background model from the border, robustly (the product may touch the frame)
    strip = max(2, round(0.03 * min(w, h)))
    border = _border(h, w, strip)
    ys, xs = np.nonzero(border)
    X = _design(xs / w, ys / h).astype(np.float32)
    Y = img[ys, xs]
    med = np.median(Y, axis=0)
    resid = np.abs(Y - med).max(axis=1)
    sigma = float(np.mean(1.4826 * np.median(np.abs(Y - med), axis=0)))
    keep = resid <= max(12.0, 4 * sigma)
    for _ in range(3):
        coef, *_ = np.linalg.lstsq(X[keep], Y[keep], rcond=None)
        r = Y - X @ coef
        rn = np.sqrt((r * r).sum(axis=1))
        sigma = float(np.mean(1.4826 * np.median(np.abs(r[keep]), axis=0)))
        keep = rn <= max(10.0, 4 * sigma)
    inliers = float(keep.mean())
    gy, gx = np.mgrid[0:h, 0:w]
    bg = (_design(gx.ravel() / w, gy.ravel() / h).astype(np.float32) @ coef).reshape(h, w, 3)
    bg = np.clip(bg, 0, 255)

    # 2. distance to the background; shadow-like pixels are the background darkened, same hue
    diff = img - bg
    d = np.sqrt((diff * diff).sum(axis=2))
    t_lo = max(8.0, 4 * sigma)
    t_hi = max(20.0, 8 * sigma)
    bb = (bg * bg).sum(axis=2) + 1e-3
    k = (img * bg).sum(axis=2) / bb
    off = img - k[..., None] * bg
    shadowlike = (d > t_lo) & (k >= SHADOW_K_MIN) & (k < 1.0) & \
        (np.sqrt((off * off).sum(axis=2)) < max(6.0, 2.5 * sigma))
    shadowlike = _soft_regions(shadowlike, k, d <= t_lo)

    # 3. hysteresis: weak pixels connected to strong ones, specks dropped
    weak = (d > t_lo) & ~shadowlike
    strong = (d > t_hi) & ~shadowlike
    labels, count = ndimage.label(weak, structure=_EIGHT)
    if count:
        area = np.bincount(labels.ravel(), minlength=count + 1)
        has_strong = np.bincount(labels.ravel(), weights=strong.ravel(), minlength=count + 1) > 0
        lut = has_strong & (area >= max(4, 0.0002 * n))
        lut[0] = False
        mask = lut[labels]
        kept_areas = np.sort(area[lut])[::-1]
    else:
        mask = np.zeros((h, w), bool)
        kept_areas = np.zeros(0)

    # 4. holes: filled, unless large and background-like (a handle, a ring)
    holes_left = 0
    if mask.any():
        holes = ndimage.binary_fill_holes(mask) & ~mask
        hl, hc = ndimage.label(holes)
        if hc:
            harea = np.bincount(hl.ravel(), minlength=hc + 1)
            bg_like = np.bincount(hl.ravel(), weights=(d <= t_lo).ravel(), minlength=hc + 1) / np.maximum(harea, 1)
            fill = (harea < max(6, 0.003 * mask.sum())) | (bg_like < 0.5)
            fill[0] = False
            holes_left = int((~fill[1:]).sum())
            mask |= fill[hl]

    # 5. the natural shadow: shadow-like pixels touching the product
    shadow = np.zeros((h, w), np.uint8)
    sl = shadowlike & ~mask
    if sl.any() and mask.any():
        sl_lab, sl_count = ndimage.label(sl, structure=_EIGHT)
        near = ndimage.binary_dilation(mask, iterations=2)
        touching = np.zeros(sl_count + 1, bool)
        touching[np.unique(sl_lab[near & sl])] = True
        touching[0] = False
        region = touching[sl_lab]
        shadow[region] = np.clip((1.0 - k[region]) * 255, 0, 255).astype(np.uint8)

    # 6. edge band and local product colour, for matting at output resolution
    inner = ndimage.binary_erosion(mask, iterations=1)
    outer = ndimage.binary_dilation(mask, iterations=1)
    guide = np.where(inner, 255, np.where(outer, 128, 0)).astype(np.uint8)
    wgt = ndimage.uniform_filter(inner.astype(np.float32), 7)
    fg = np.empty_like(img)
    for c in range(3):
        fg[..., c] = ndimage.uniform_filter(img[..., c] * inner, 7)
    fg = np.where(wgt[..., None] > 1e-3, fg / np.maximum(wgt, 1e-3)[..., None], img)

    # 7. confidence
    area_share = float(mask.mean())
    ring = _border(h, w, 1)
    touch = float(mask[ring].mean())
    edge = inner & ~ndimage.binary_erosion(inner, iterations=1)
    contrast = float(np.median(d[edge])) / t_hi if edge.any() else 0.0
    fragments = int((kept_areas > 0.01 * kept_areas[0]).sum()) if len(kept_areas) else 0
    shadow_share = float((shadow > 0).sum()) / max(1.0, float(mask.sum()))
    factors = {
        "background_noise": _ramp(sigma, 3.0, 9.0),
        "background_fit": _ramp(inliers, 0.95, 0.7),
        "touches_frame": _ramp(touch, 0.05, 0.35),
        "subject_size": 0.0 if area_share < 0.001 else (0.2 if area_share > 0.95 else 1.0),
        "fragments": max(0.0, 1.0 - 0.1 * max(0, fragments - 4)),
        "shadow_share": _ramp(shadow_share, 0.35, 0.85),
        "edge_contrast": min(1.0, max(0.5, contrast / 1.6)),
        "background_holes": 0.96 if holes_left else 1.0,
    }
    confidence = float(np.prod(list(factors.values())))
    factors = {k_: round(v, 3) for k_, v in factors.items()} | {
        "noise_sigma": round(sigma, 2), "subject_share": round(area_share, 3)}
    return Cutout(f, (w, h), mask, guide, bg.astype(np.uint8), np.clip(fg, 0, 255).astype(np.uint8),
                  shadow, round(confidence, 3), factors, t_lo, t_hi)


def _soft_regions(candidates: np.ndarray, k: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Keep the shadow-like regions that behave like shadows: a soft falloff (their darkening
    varies) and a good share of their outline on the background. A grey label printed on a
    product is as neutral as a shadow but flat, and mostly bordered by the product."""
    lab, count = ndimage.label(candidates, structure=_EIGHT)
    if not count:
        return candidates
    flat = lab.ravel()
    area = np.bincount(flat, minlength=count + 1).astype(np.float64)
    k1 = np.bincount(flat, weights=k.ravel(), minlength=count + 1) / np.maximum(area, 1)
    k2 = np.bincount(flat, weights=(k * k).ravel(), minlength=count + 1) / np.maximum(area, 1)
    spread = np.sqrt(np.maximum(k2 - k1 * k1, 0))
    ring = ndimage.grey_dilation(lab, size=(3, 3)) * (lab == 0)
    ring_all = np.bincount(ring.ravel(), minlength=count + 1)
    ring_bg = np.bincount(ring.ravel(), weights=background.ravel(), minlength=count + 1)
    share = ring_bg / np.maximum(ring_all, 1)
    lut = (spread >= 0.04) & (share >= 0.25)
    lut[0] = False
    return lut[lab]


def _ramp(x: float, good: float, bad: float) -> float:
    """1 at ``good`` or better, 0 at ``bad`` or worse, linear between (either direction)."""
    t = (x - good) / (bad - good)
    return float(min(1.0, max(0.0, 1.0 - t)))


def refine(rgb: np.ndarray, guide: np.ndarray, bg: np.ndarray, fg: np.ndarray, shadow: np.ndarray | None,
           t_lo: float, t_hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Alpha (uint8) for a layer at output resolution, and its colours with the background
    unmixed from the edge pixels (so a new background shows no halo of the old one)."""
    alpha = np.where(guide >= 192, 255, 0).astype(np.uint8)
    band = (guide > 64) & (guide < 192)
    ys, xs = np.nonzero(band)
    if not len(ys):
        return alpha, rgb
    I = rgb[ys, xs].astype(np.float32)
    B = bg[ys, xs].astype(np.float32)
    F = fg[ys, xs].astype(np.float32)
    diff, fb = I - B, F - B
    den = (fb * fb).sum(axis=1)
    proj = (diff * fb).sum(axis=1) / np.maximum(den, 1.0)
    dist = np.sqrt((diff * diff).sum(axis=1))
    ramp = (dist - t_lo) / max(1.0, t_hi - t_lo)
    a = np.clip(np.where(den > t_hi * t_hi, proj, ramp), 0.0, 1.0)
    if shadow is not None:
        k = (I * B).sum(axis=1) / ((B * B).sum(axis=1) + 1e-3)
        off = I - k[:, None] * B
        in_shadow = (shadow[ys, xs] > 0) & (k >= SHADOW_K_MIN) & (np.sqrt((off * off).sum(axis=1)) < 8.0)
        a[in_shadow] = 0.0
    alpha[ys, xs] = np.round(a * 255).astype(np.uint8)
    out = rgb.copy()
    safe = a > 0.05
    out[ys[safe], xs[safe]] = np.clip(B[safe] + diff[safe] / a[safe, None], 0, 255).astype(np.uint8)
    return alpha, out
