"""Cutting the product out of a studio background.

The background is modelled from the picture's border (a robust quadratic surface per
channel, so a white seamless or a grey sweep with a vertical gradient both fit), then
every pixel's colour distance to that model seeds a hysteresis segmentation: weak
pixels count only when connected to strong ones. Soft floor shadows (the background
darkened without a change of hue) are told apart from the product and kept as a
separate opacity map, so the spec can drop them or keep them. Holes inside the
product are filled unless they look like the background (a mug's handle). JPEG
ringing and 4:2:0 chroma bleed are peeled off the outline (measured mostly by brightness,
against the product's own contrast along its outline nearby).

Known limit: a product that differs from its backdrop in hue only (ivory on light grey)
and carries a dark print within a few pixels of its outline can lose a few pixels of
edge beside the print; the confidence does not see it (1 in 84 sandbox photos).

All of this runs on a working copy of at most WORK_SIDE pixels; ``refine`` then
mattes the uncertain edge band at output resolution (alpha from the projection of
each pixel's colour between the local background and the local product colour).

The confidence multiplies a few factors, each 1 on a clean studio shot: background
noise (a textured backdrop), fit of the border model, subject touching the frame,
subject size, fragments, shadow share and edge contrast. They are reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy import ndimage

WORK_SIDE = 512
SHADOW_K_MIN = 0.53  # a shadow darkens the background to no less than this share of its brightness
_EIGHT = np.ones((3, 3), bool)
# RGB -> (luma, chroma / 2, chroma / 2), scaled so a grey step keeps its RGB length:
# compression keeps brightness edges sharp but smears colour over 16-px blocks
_WEIGHT = (np.array([[0.299, 0.587, 0.114], [-0.0844, -0.1656, 0.25], [0.25, -0.2094, -0.0406]])
           * np.sqrt(3)).astype(np.float32)


def _luma_weighted(diff: np.ndarray) -> np.ndarray:
    w = diff @ _WEIGHT.T
    return np.sqrt((w * w).sum(axis=-1))


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


    def shadow_bbox(self) -> tuple[int, int, int, int] | None:
        m = self.shadow >= 8
        ys, xs = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
        if not len(xs):
            return None
        return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1

    def sample(self, box: tuple[float, float, float, float], size: tuple[int, int]):
        """guide, background, foreground, shadow (or None) for a region of the working copy
        (``box`` in working pixels) drawn at ``size``: what ``refine`` needs."""
        def at(a: np.ndarray, resample) -> np.ndarray:
            return np.asarray(Image.fromarray(a).resize(size, resample, box=box))
        bl = Image.Resampling.BILINEAR
        shadow = at(self.shadow, bl) if self.shadow.any() else None
        return at(self.guide, Image.Resampling.NEAREST), at(self.background, bl), at(self.foreground, bl), shadow

    def matte(self, rgb: np.ndarray, box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
        """Alpha and unmixed colours for ``rgb``, the picture's region ``box`` (working pixels)."""
        guide, bg, fg, shadow = self.sample(box, (rgb.shape[1], rgb.shape[0]))
        return refine(rgb, guide, bg, fg, shadow, self.t_lo, self.t_hi)

    def exact_bbox(self, im: Image.Image) -> tuple[int, int, int, int] | None:
        """The product's box in ``im`` (the picture at any resolution) to the pixel: the working
        box's edges are matted again at ``im``'s resolution in thin strips."""
        rough = self.bbox()
        if rough is None:
            return None
        fx, fy = im.width / self.size[0], im.height / self.size[1]
        if self.from_alpha:
            a = np.asarray(im.getchannel("A")) >= 128 if im.mode == "RGBA" else None
            if a is None or not a.any():
                return None
            ys, xs = np.flatnonzero(a.any(axis=1)), np.flatnonzero(a.any(axis=0))
            return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1
        u = 2 * math.ceil(max(fx, fy)) + 2
        X0, Y0, X1, Y1 = rough[0] * fx, rough[1] * fy, rough[2] * fx, rough[3] * fy
        W, H = im.size

        def alpha_in(a: int, b: int, c: int, d: int) -> np.ndarray | None:
            a, b, c, d = max(0, a), max(0, b), min(W, c), min(H, d)
            if c <= a or d <= b:
                return None
            rgb = np.asarray(im.crop((a, b, c, d)).convert("RGB"))
            return self.matte(rgb, (a / fx, b / fy, c / fx, d / fy))[0] >= 128

        def first(mask: np.ndarray | None, axis: int, last: bool) -> int | None:
            if mask is None:
                return None
            hits = np.flatnonzero(mask.any(axis=axis))
            return None if not len(hits) else int(hits[-1] if last else hits[0])

        top, bottom = int(Y0) - u, math.ceil(Y1) + u
        left, right = int(X0) - u, math.ceil(X1) + u
        x0 = first(alpha_in(left, top, int(X0) + u, bottom), 0, False)
        x1 = first(alpha_in(math.ceil(X1) - u, top, right, bottom), 0, True)
        y0 = first(alpha_in(left, top, right, int(Y0) + u), 1, False)
        y1 = first(alpha_in(left, math.ceil(Y1) - u, right, bottom), 1, True)
        return (max(0, left) + x0 if x0 is not None else round(X0),
                max(0, top) + y0 if y0 is not None else round(Y0),
                max(0, math.ceil(X1) - u) + x1 + 1 if x1 is not None else round(X1),
                max(0, math.ceil(Y1) - u) + y1 + 1 if y1 is not None else round(Y1))


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
    u = (np.arange(w, dtype=np.float32) / w)[None, :, None]
    v = (np.arange(h, dtype=np.float32) / h)[:, None, None]
    c = coef.astype(np.float32)  # the quadratic surface, evaluated by broadcasting rows and columns
    bg = (c[0] + c[2] * v + c[4] * v * v) + (c[1] * u + c[3] * u * u) + c[5] * (v * u)
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
        (np.sqrt((off * off).sum(axis=2)) < max(10.0, 2.5 * sigma))  # 4:2:0 JPEG bleeds hue into a shadow
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

    # 3b. peel compression artefacts off the outline: an edge pixel far weaker than the
    # product next to it is ringing or chroma bleed (so measured mostly by brightness)
    if mask.any():
        dl = _luma_weighted(diff)
        # the product's contrast along its own outline nearby (not a label further in)
        ring = mask & ~ndimage.binary_erosion(mask, iterations=5)
        peak = ndimage.maximum_filter(dl * ring, size=17)
        floor = np.maximum(0.5 * t_lo, 0.25 * peak)
        for _ in range(8):  # artefacts reach at most a JPEG block (8 px, 16 for chroma) from the edge
            edge = mask & ~ndimage.binary_erosion(mask)
            weak_edge = edge & (dl < floor)
            if not weak_edge.any():
                break
            mask &= ~weak_edge

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
    inner = ndimage.binary_erosion(mask, iterations=2)  # two pixels: chroma bleed of 4:2:0 JPEG
    outer = ndimage.binary_dilation(mask, iterations=1)
    guide = np.where(inner, 255, np.where(outer, 128, 0)).astype(np.uint8)
    fg = _local_mean(img, inner if inner.any() else mask)

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
        "shadow_share": _ramp(shadow_share, 0.6, 1.5),  # a narrow product casts a wide floor shadow
        "edge_contrast": min(1.0, max(0.5, contrast / 1.6)),
        "background_holes": 0.96 if holes_left else 1.0,
    }
    confidence = float(np.prod(list(factors.values())))
    factors = {k_: round(v, 3) for k_, v in factors.items()} | {
        "noise_sigma": round(sigma, 2), "subject_share": round(area_share, 3)}
    return Cutout(f, (w, h), mask, guide, bg.astype(np.uint8), np.clip(fg, 0, 255).astype(np.uint8),
                  shadow, round(confidence, 3), factors, t_lo, t_hi)


def _local_mean(img: np.ndarray, where: np.ndarray) -> np.ndarray:
    """The mean colour of ``where`` near each pixel: within 7 px, else 21 px, else overall.
    It must always be a product colour: an edge pixel is matted against it."""
    out = np.empty_like(img)
    if not where.any():
        out[:] = img.reshape(-1, 3).mean(axis=0)
        return out
    out[:] = img[where].mean(axis=0)
    m = where.astype(np.float32)
    for size in (21, 7):  # the narrow window wins where it has product pixels
        wgt = ndimage.uniform_filter(m, size)
        ok = wgt > 1e-3
        for c in range(3):
            mean = ndimage.uniform_filter(img[..., c] * m, size) / np.maximum(wgt, 1e-3)
            out[..., c] = np.where(ok, mean, out[..., c])
    return out


def _soft_regions(candidates: np.ndarray, k: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Keep the shadow-like regions that behave like shadows: a soft falloff (their darkening
    varies, and is slight where they meet the background) and a good share of their outline
    on the background. A grey label printed on a product is as neutral as a shadow, but flat,
    sharp-edged and mostly bordered by the product."""
    # thin bridges (mixed pixels along a product's edge) would join a label to a shadow
    given = candidates
    candidates = ndimage.binary_opening(candidates, structure=_EIGHT)
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
    # a shadow fades into the background: where it meets it, it is barely darker
    outline = candidates & ndimage.binary_dilation(background, structure=_EIGHT)
    o_count = np.bincount(flat, weights=outline.ravel(), minlength=count + 1)
    o_k = np.bincount(flat, weights=(k * outline).ravel(), minlength=count + 1) / np.maximum(o_count, 1)
    lut = (spread >= 0.04) & (share >= 0.4) & (o_k >= 0.88)
    lut[0] = False
    # give the accepted shadows back their thin parts (the sliver where they meet the product)
    return ndimage.binary_dilation(lut[lab], structure=_EIGHT, iterations=3, mask=given)


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
    dw, fw = diff @ _WEIGHT.T, fb @ _WEIGHT.T  # chroma counts half: 4:2:0 JPEG smears it
    den = (fw * fw).sum(axis=1)
    proj = (dw * fw).sum(axis=1) / np.maximum(den, 1.0)
    dist = np.sqrt((diff * diff).sum(axis=1))
    ramp = (dist - t_lo) / max(1.0, t_hi - t_lo)
    a = np.clip(np.where(den > (0.6 * t_hi) ** 2, proj, ramp), 0.0, 1.0)
    if shadow is not None:
        k = (I * B).sum(axis=1) / ((B * B).sum(axis=1) + 1e-3)
        off = I - k[:, None] * B
        in_shadow = (shadow[ys, xs] > 0) & (k >= SHADOW_K_MIN) & (np.sqrt((off * off).sum(axis=1)) < 10.0)
        a[in_shadow] = 0.0
    alpha[ys, xs] = np.round(a * 255).astype(np.uint8)
    # unmix the old background out of edge pixels; faint ones take the nearby product colour
    # (dividing their tiny difference would amplify noise into specks)
    out = rgb.copy()
    safe = a >= 0.5
    colour = np.where(safe[:, None], B + diff / np.maximum(a, 0.5)[:, None], F)
    out[ys, xs] = np.clip(colour, 0, 255).astype(np.uint8)
    return alpha, out
