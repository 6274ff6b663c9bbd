"""Pillow product photos with their true product masks.

A picture is a product shape on a studio background (white, light grey sweep with
a soft shadow, a flat colour, a textured/noisy backdrop, or transparent).  The
mask is the exact set of pixels the product covers, drawn from the same geometry,
in the picture's *displayed* orientation (after applying its EXIF orientation).

Everything is deterministic: the same ``Picture`` always gives the same bytes.
Encoded results are kept in a size-bounded LRU so memory stays bounded.
"""

from __future__ import annotations

import io
import random
import threading
from collections import OrderedDict

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from .catalog import Picture

# Shapes as polygons/ellipses in a unit box (x right, y down).
_SHIRT = [(0.30, 0.0), (0.42, 0.06), (0.58, 0.06), (0.70, 0.0), (1.0, 0.18), (0.88, 0.38), (0.78, 0.32),
          (0.78, 1.0), (0.22, 1.0), (0.22, 0.32), (0.12, 0.38), (0.0, 0.18)]
_SHOE = [(0.0, 0.55), (0.08, 0.35), (0.30, 0.30), (0.45, 0.05), (0.62, 0.05), (0.66, 0.35), (0.95, 0.55),
         (1.0, 0.80), (0.95, 0.95), (0.05, 0.95)]
_LAMP_SHADE = [(0.2, 0.0), (0.8, 0.0), (1.0, 0.45), (0.0, 0.45)]


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, box: tuple[int, int, int, int], fill) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0

    def P(pts):
        return [(x0 + px * w, y0 + py * h) for px, py in pts]

    def R(a, b, c, d):
        return (x0 + a * w, y0 + b * h, x0 + c * w, y0 + d * h)

    if shape == "bottle":
        draw.rounded_rectangle(R(0.2, 0.3, 0.8, 1.0), radius=max(1, int(w * 0.12)), fill=fill)
        draw.polygon(P([(0.2, 0.34), (0.38, 0.16), (0.62, 0.16), (0.8, 0.34)]), fill=fill)
        draw.rectangle(R(0.38, 0.0, 0.62, 0.18), fill=fill)
    elif shape == "box":
        draw.rectangle(R(0.0, 0.15, 1.0, 1.0), fill=fill)
        draw.polygon(P([(0.0, 0.15), (0.15, 0.0), (1.0, 0.0), (1.0, 0.15)]), fill=fill)
    elif shape == "shirt":
        draw.polygon(P(_SHIRT), fill=fill)
    elif shape == "ball":
        draw.ellipse(R(0.0, 0.0, 1.0, 1.0), fill=fill)
    elif shape == "shoe":
        draw.polygon(P(_SHOE), fill=fill)
    elif shape == "mug":
        draw.rounded_rectangle(R(0.0, 0.0, 0.75, 1.0), radius=max(1, int(w * 0.06)), fill=fill)
        # a handle with a real hole: the mask must not cover the hole
        draw.ellipse(R(0.58, 0.2, 1.0, 0.75), fill=fill)
        draw.ellipse(R(0.75, 0.32, 0.9, 0.63), fill=0)
    elif shape == "lamp":
        draw.polygon(P(_LAMP_SHADE), fill=fill)
        draw.rectangle(R(0.46, 0.45, 0.54, 0.92), fill=fill)
        draw.ellipse(R(0.25, 0.88, 0.75, 1.0), fill=fill)
    else:  # pragma: no cover - unknown shapes draw a box
        draw.rectangle(box, fill=fill)


def _geometry(pic: Picture) -> tuple[tuple[int, int, int, int], random.Random]:
    r = random.Random(pic.key * 31 + 7)
    w, h = pic.width, pic.height
    scale = r.uniform(0.5, 0.78)
    side = int(min(w, h) * scale)
    bw = int(side * r.uniform(0.75, 1.0))
    bh = side
    cx = w // 2 + int(r.uniform(-0.06, 0.06) * w)
    cy = h // 2 + int(r.uniform(-0.04, 0.04) * h)
    box = (cx - bw // 2, cy - bh // 2, cx - bw // 2 + bw, cy - bh // 2 + bh)
    return box, r


def mask_of(pic: Picture) -> Image.Image:
    """The true product mask ('L', 255 = product) in displayed orientation."""
    box, _ = _geometry(pic)
    m = Image.new("L", (pic.width, pic.height), 0)
    _draw_shape(ImageDraw.Draw(m), pic.shape, box, 255)
    return m


def _background(pic: Picture, r: random.Random, box) -> Image.Image:
    w, h = pic.width, pic.height
    kind = pic.background
    if kind == "transparent":
        return Image.new("RGBA", (w, h), (0, 0, 0, 0))
    if kind == "white":
        v = r.randint(250, 255)
        return Image.new("RGBA", (w, h), (v, v, v, 255))
    if kind == "sweep":
        grad = Image.linear_gradient("L").resize((w, h))  # 0 at top, 255 at bottom
        top, bottom = r.randint(228, 242), r.randint(196, 214)
        bg = grad.point(lambda x: int(top + (bottom - top) * x / 255))
        bg = Image.merge("RGB", (bg, bg, bg)).convert("RGBA")
        # soft floor shadow under the product, drawn small and blurred for speed
        sw, sh = max(8, w // 8), max(8, h // 8)
        sh_img = Image.new("L", (sw, sh), 0)
        x0, y0, x1, y1 = box
        ImageDraw.Draw(sh_img).ellipse(
            ((x0 - 0.05 * (x1 - x0)) / 8, (y1 - 0.05 * (y1 - y0)) / 8,
             (x1 + 0.05 * (x1 - x0)) / 8, (y1 + 0.06 * (y1 - y0)) / 8), fill=150)
        sh_img = sh_img.filter(ImageFilter.GaussianBlur(max(1, sw // 40))).resize((w, h))
        dark = Image.new("RGBA", (w, h), (60, 60, 60, 255))
        return Image.composite(dark, bg, sh_img)
    if kind == "colored":
        c = tuple(r.randint(150, 235) for _ in range(3))
        return Image.new("RGBA", (w, h), (*c, 255))
    # textured / noisy backdrop
    base = tuple(r.randint(120, 220) for _ in range(3))
    # seeded noise (Image.effect_noise is not reproducible), drawn at half size and scaled up
    nw, nh = max(1, w // 2), max(1, h // 2)
    noise = Image.frombytes("L", (nw, nh), r.randbytes(nw * nh)).resize((w, h))
    bg = Image.new("RGB", (w, h), base)
    grey = Image.merge("RGB", (noise, noise, noise))
    return Image.blend(bg, grey, 0.35).convert("RGBA")


def _draw_label(draw: ImageDraw.ImageDraw, pic: Picture, box) -> None:
    """The product's own label and mark, in a contrasting tone, placed and sized per drawing.

    Two products of the same shape and colour on the same backdrop would otherwise be told
    apart by their geometry alone, and a few in a store of hundreds come out as near-identical
    pictures of different products (undeclared duplicates).  The label is drawn on the body, so
    it changes neither the mask nor the background."""
    r = random.Random(pic.key * 131 + 3)
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cy = y0 + h * r.uniform(0.3, 0.78)
    half = h * r.uniform(0.06, 0.14)
    inset = w * r.uniform(0.0, 0.2)
    lum = 0.299 * pic.colour[0] + 0.587 * pic.colour[1] + 0.114 * pic.colour[2]
    toward, amount = ((250, 248, 240), r.uniform(0.55, 0.8)) if lum < 150 else ((20, 20, 24), r.uniform(0.45, 0.7))
    tone = tuple(int(c + (t - c) * amount) for c, t in zip(pic.colour, toward))
    draw.rectangle((x0 + inset, cy - half, x1 - inset, cy + half), fill=(*tone, 255))
    # and a mark (a logo, a button) somewhere on the body, in the label's tone
    rad = w * r.uniform(0.06, 0.12)
    mx, my = x0 + w * r.uniform(0.3, 0.7), y0 + h * r.uniform(0.2, 0.9)
    draw.ellipse((mx - rad, my - rad, mx + rad, my + rad), fill=(*tone, 255))


def draw(pic: Picture) -> tuple[Image.Image, Image.Image]:
    """The upright picture (RGBA) and its mask."""
    box, r = _geometry(pic)
    bg = _background(pic, r, box)
    mask = mask_of(pic)
    # product body: its colour with a vertical light falloff and a highlight stripe
    shade = Image.linear_gradient("L").resize((pic.width, pic.height)).point(lambda x: 255 - x // 3)
    body = Image.new("RGB", (pic.width, pic.height), pic.colour)
    black = Image.new("RGB", (pic.width, pic.height), (0, 0, 0))
    body = Image.composite(body, black, shade).convert("RGBA")
    x0, y0, x1, y1 = box
    _draw_label(ImageDraw.Draw(body), pic, box)
    hl = Image.new("L", (pic.width, pic.height), 0)
    ImageDraw.Draw(hl).rectangle((x0 + (x1 - x0) * 0.22, y0, x0 + (x1 - x0) * 0.3, y1), fill=60)
    body = Image.composite(Image.new("RGBA", body.size, (255, 255, 255, 255)), body, hl)
    bg.paste(body, (0, 0), mask)
    return bg, mask


_ORIENT_STORE = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def encode(pic: Picture) -> bytes:
    """The file as stored: pixels rotated so that EXIF orientation shows them upright."""
    img, _ = draw(pic)
    if pic.fmt == "JPEG" or not pic.transparent:
        flat = Image.new("RGB", img.size, (255, 255, 255))
        flat.paste(img, (0, 0), img)
        img = flat
    buf = io.BytesIO()
    if pic.fmt == "JPEG":
        exif = None
        if pic.orientation != 1:
            img = img.transpose(_ORIENT_STORE[pic.orientation])
            ex = Image.Exif()
            ex[0x0112] = pic.orientation
            exif = ex.tobytes()
        kw = {"quality": pic.quality}
        if exif:
            kw["exif"] = exif
        img.save(buf, "JPEG", **kw)
    elif pic.fmt == "PNG":
        img.save(buf, "PNG", compress_level=1)
    else:
        img.save(buf, "WEBP", quality=pic.quality, method=0)
    return buf.getvalue()


def resize_to_fit(data: bytes, box_w: int, box_h: int) -> tuple[bytes, str]:
    """A CDN rendition: fit within box (never upscaled), EXIF applied, same format."""
    im = Image.open(io.BytesIO(data))
    fmt = im.format or "JPEG"
    im = ImageOps.exif_transpose(im)
    im.thumbnail((box_w, box_h))
    buf = io.BytesIO()
    if fmt not in ("JPEG", "PNG", "WEBP", "GIF"):
        fmt = "PNG"
    if fmt == "JPEG" and im.mode not in ("RGB", "L"):
        im = im.convert("RGB")
    if fmt == "GIF":
        im.save(buf, "GIF")
    elif fmt == "JPEG":
        im.save(buf, "JPEG", quality=85)
    elif fmt == "WEBP":
        im.save(buf, "WEBP", quality=85, method=0)
    else:
        im.save(buf, "PNG", compress_level=1)
    return buf.getvalue(), fmt


class ByteLRU:
    """A thread-safe LRU of bytes values bounded by total size."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._d: OrderedDict = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            v = self._d.get(key)
            if v is not None:
                self._d.move_to_end(key)
            return v

    def put(self, key, value) -> None:
        n = len(value[0]) if isinstance(value, tuple) else len(value)
        if n > self.max_bytes:
            return
        with self._lock:
            old = self._d.pop(key, None)
            if old is not None:
                self._size -= len(old[0]) if isinstance(old, tuple) else len(old)
            self._d[key] = value
            self._size += n
            while self._size > self.max_bytes:
                _, v = self._d.popitem(last=False)
                self._size -= len(v[0]) if isinstance(v, tuple) else len(v)

    @property
    def size(self) -> int:
        return self._size


MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif", "BMP": "image/bmp"}
