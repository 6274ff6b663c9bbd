"""Deterministic seeded catalog generator.

Nothing is materialized eagerly: a product, its images and its variants are
computed from ``(seed, id)`` on demand.  Store creation only builds two compact
prefix-sum arrays (images and variants per product), so a 100 000-product store
starts in well under a second and costs a few hundred kilobytes.

Changes made later (through the REST API or the control API) are kept by
``state.Store`` as overrides on top of what this module generates.
"""

from __future__ import annotations

import random
import re
import time
from functools import lru_cache
from array import array
from bisect import bisect_right
from dataclasses import dataclass, replace

# Generated dates are fixed in time (never "now") so a catalog is reproducible.
CATALOG_EPOCH = 1514764800  # 2018-01-01T00:00:00Z
CATALOG_SPAN = 7 * 365 * 86400

ADJECTIVES = [
    "Classic", "Vintage", "Modern", "Rustic", "Organic", "Deluxe", "Essential", "Urban",
    "Coastal", "Nordic", "Handmade", "Premium", "Everyday", "Heritage", "Minimal", "Bold",
]
COLOURS = {
    "Beige": (214, 196, 160), "Navy": (31, 50, 94), "Crimson": (170, 28, 48), "Olive": (110, 120, 50),
    "Teal": (20, 128, 128), "Charcoal": (58, 60, 66), "Mustard": (218, 170, 40), "Coral": (240, 120, 96),
    "Sky": (120, 180, 230), "Forest": (34, 98, 52), "Plum": (112, 48, 96), "Sand": (200, 180, 140),
    "Black": (24, 24, 26), "Ivory": (236, 230, 210), "Rust": (168, 78, 40), "Lilac": (184, 160, 214),
}
# noun -> (shape drawn by render.py, SKU prefix)
NOUNS = {
    "Bottle": ("bottle", "BTL"), "Water Bottle": ("bottle", "WBT"), "Gift Box": ("box", "BOX"),
    "Storage Box": ("box", "STB"), "T-Shirt": ("shirt", "TSH"), "Polo Shirt": ("shirt", "POL"),
    "Ball": ("ball", "BAL"), "Planter": ("ball", "PLN"), "Sneaker": ("shoe", "SNK"),
    "Loafer": ("shoe", "LOF"), "Mug": ("mug", "MUG"), "Tea Cup": ("mug", "CUP"),
    "Table Lamp": ("lamp", "LMP"), "Desk Lamp": ("lamp", "DLP"), "Vase": ("bottle", "VAS"),
    "Tote": ("box", "TOT"),
}
NOUN_LIST = list(NOUNS)
COLOUR_LIST = list(COLOURS)
BRANDS = [
    "Common Good", "Ofs Select", "Sagaform", "Fog Linen", "Barrel & Oak", "Kinfolk", "Hay", "Muuto",
    "Normann", "Ferm Living", "Menu", "Stelton", "Iittala", "Rosendahl", "Bloomingville", "House Doctor",
]
CATEGORY_IDS = list(range(18, 48))

BACKGROUNDS = ["white", "sweep", "colored", "textured"]
SIZES = [300, 500, 640, 800, 1000, 1024, 1280, 1600, 2000, 2500, 3000, 4000]
SIZE_WEIGHTS = [4, 8, 8, 14, 14, 10, 12, 10, 9, 5, 3, 3]
VARIANT_OPTIONS = [("Color", ["Beige", "Grey", "Black", "Navy", "Red"]), ("Size", ["XS", "S", "M", "L", "XL"])]

ASPECTS, ASPECT_WEIGHTS = [(1, 1), (3, 4), (4, 3), (2, 3)], [60, 20, 12, 8]
FORMATS, FORMAT_WEIGHTS = ["JPEG", "PNG", "WEBP"], [60, 20, 20]

_REENCODED_FMT = {"JPEG": "JPEG", "WEBP": "WEBP", "PNG": "WEBP"}  # a re-encoded PNG keeps its alpha in WebP

EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}


def iso(ts: int | float) -> str:
    """BigCommerce catalog timestamp: ``2018-08-15T14:48:31+00:00``."""
    t = time.gmtime(int(ts))
    return f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}T{t[3]:02d}:{t[4]:02d}:{t[5]:02d}+00:00"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def image_path(iid: int, stem: str, ext: str) -> str:
    """An image's ``image_file``: ``{first letter}/{iid mod 1000}/{stem}__{iid}.{ext}``."""
    return f"{stem[0]}/{iid % 1000:03d}/{stem}__{iid:05d}.{ext}"


@dataclass(frozen=True, slots=True)
class Picture:
    """Everything needed to draw and encode one generated picture."""

    key: int  # identity of the drawing (the original image id); same key = same drawing
    shape: str
    colour: tuple[int, int, int]
    background: str  # white | sweep | colored | textured | transparent
    width: int
    height: int
    fmt: str  # JPEG | PNG | WEBP
    quality: int
    orientation: int  # EXIF orientation: 1 (none), 3, 6 or 8
    duplicate_of: int | None = None
    duplicate_kind: str | None = None  # same_file | reencoded

    @property
    def ext(self) -> str:
        return EXT[self.fmt]

    @property
    def transparent(self) -> bool:
        return self.background == "transparent"

    def facts(self) -> dict:
        return {
            "shape": self.shape,
            "colour": list(self.colour),
            "background": self.background,
            "width": self.width,
            "height": self.height,
            "format": self.fmt.lower(),
            "quality": self.quality,
            "transparent": self.transparent,
            "exif_orientation": self.orientation,
            "duplicate_of": self.duplicate_of,
            "duplicate_kind": self.duplicate_kind,
            "drawing_key": self.key,
        }


@dataclass(frozen=True)
class CatalogSpec:
    seed: int = 1
    products: int = 20
    images_per_product: int = 3
    variant_share: float = 0.3
    duplicate_share: float = 0.1
    # Largest side of a rendered picture: tests that only need a catalog keep it small.
    max_image_size: int = 4000


_M64 = (1 << 64) - 1


def mix64(x: int) -> int:
    """splitmix64: a fast, well-mixed 64-bit hash (cheaper than seeding a Random per image)."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


class _Bits:
    """A tiny deterministic stream of draws from one 64-bit seed (each draw is ``mix64`` of the
    previous one; written out in ``next`` because listings draw ~15 per image)."""

    __slots__ = ("state",)

    def __init__(self, seed: int):
        self.state = seed

    def next(self) -> int:
        x = (self.state + 0x9E3779B97F4A7C15) & _M64
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
        self.state = x = x ^ (x >> 31)
        return x

    def unit(self) -> float:
        return (self.next() >> 11) / 9007199254740992.0

    def below(self, n: int) -> int:
        return self.next() % n

    def weighted(self, items: list, weights: list):
        x = self.next() % sum(weights)
        for item, w in zip(items, weights):
            if x < w:
                return item
            x -= w
        return items[-1]


class Catalog:
    """The generated part of a store's catalog (ids 1..products)."""

    def __init__(self, spec: CatalogSpec):
        self.spec = spec
        self.n = spec.products
        rng = random.Random(spec.seed * 7919 + 17)
        m = spec.images_per_product
        lo, hi = max(1, m - 2), m + 2
        img_off = array("q", [0])
        var_off = array("q", [0])
        has_opts = bytearray(self.n)
        rnd = rng.random
        ri = rng.randint
        ia, va = img_off.append, var_off.append
        ti = tv = 0
        for i in range(self.n):
            if m > 0 and rnd() >= 0.03:
                ti += ri(lo, hi)
            ia(ti)
            if rnd() < spec.variant_share:
                has_opts[i] = 1
                tv += ri(2, 5)
            else:
                tv += 1
            va(tv)
        self.img_off = img_off
        self.var_off = var_off
        self.has_opts = has_opts
        self.total_images = ti
        self.total_variants = tv
        self._words = lru_cache(maxsize=8192)(self._words_uncached)  # bounded

    # ---- counts / id arithmetic -------------------------------------------------------
    def image_ids(self, pid: int) -> range:
        return range(self.img_off[pid - 1] + 1, self.img_off[pid] + 1)

    def variant_ids(self, pid: int) -> range:
        return range(self.var_off[pid - 1] + 1, self.var_off[pid] + 1)

    def product_of_image(self, iid: int) -> int | None:
        if not 1 <= iid <= self.total_images:
            return None
        return bisect_right(self.img_off, iid - 1)

    def product_of_variant(self, vid: int) -> int | None:
        if not 1 <= vid <= self.total_variants:
            return None
        return bisect_right(self.var_off, vid - 1)

    def _rng(self, kind: int, ident: int) -> random.Random:
        return random.Random((self.spec.seed * 1_000_003 + kind) * 10_000_019 + ident)

    # ---- products ---------------------------------------------------------------------
    def product_core(self, pid: int) -> dict:
        """The product's own fields (no images/variants), as BigCommerce returns them."""
        r = self._rng(1, pid)
        adj, colour, noun = self._words(pid)
        u = r.random
        name = f"{adj} {colour} {noun} {pid}"
        sku = f"{NOUNS[noun][1]}-{pid:06d}"
        brand_id = 1 + int(u() * len(BRANDS))
        c1 = CATEGORY_IDS[int(u() * len(CATEGORY_IDS))]
        c2 = CATEGORY_IDS[int(u() * len(CATEGORY_IDS))]
        categories = sorted({c1, c2}) if u() < 0.3 else [c1]
        is_visible = u() < 0.92
        created = CATALOG_EPOCH + int(u() * CATALOG_SPAN * 0.6)
        modified = created + int(u() * CATALOG_SPAN * 0.4)
        price = round(4 + u() * 296, 2)
        on_sale = u() < 0.2
        sale = round(price * 0.8, 2) if on_sale else 0
        complex_ = bool(self.has_opts[pid - 1])
        inv = int(u() * 500)
        weight = round(0.1 + u() * 11.9, 2)
        total_sold = int(u() * 900)
        view_count = int(u() * 5000)
        return product_dict(
            pid, name=name, sku=sku, brand_id=brand_id, categories=categories, is_visible=is_visible,
            price=price, sale_price=sale, inventory_level=inv, weight=weight, total_sold=total_sold,
            view_count=view_count, date_created=iso(created), date_modified=iso(modified),
            base_variant_id=None if complex_ else self.var_off[pid - 1] + 1,
            inventory_tracking="variant" if complex_ else ("product" if inv % 3 else "none"),
            search_keywords=f"{noun.lower()}, {colour.lower()}",
            description=f"<p>{adj} {noun.lower()} in {colour.lower()}, by {BRANDS[brand_id - 1]}.</p>",
        )

    def _words_uncached(self, pid: int) -> tuple[str, str, str]:
        b = self._bits(1, pid)
        return (ADJECTIVES[b.below(len(ADJECTIVES))], COLOUR_LIST[b.below(len(COLOUR_LIST))],
                NOUN_LIST[b.below(len(NOUN_LIST))])

    def shape_of(self, pid: int) -> tuple[str, tuple[int, int, int]]:
        _, colour, noun = self._words(pid)
        return NOUNS[noun][0], COLOURS[colour]

    # ---- images -----------------------------------------------------------------------
    def _bits(self, kind: int, ident: int) -> "_Bits":
        return _Bits(mix64((self.spec.seed * 1_000_003 + kind) * 10_000_019 + ident))

    def picture(self, iid: int) -> Picture:
        """The picture of generated image ``iid``.

        A duplicate (``duplicate_share`` of the images after product 1) copies an original of
        an earlier product: ``same_file`` is that original's ``Picture`` (byte-identical file),
        ``reencoded`` is the same drawing encoded again (other format/quality).  Its
        ``duplicate_of`` always names an original, never another duplicate."""
        dup = self._duplicate(iid)
        if dup is None:
            return self._drawing(iid)
        src, b = dup
        orig = self._drawing(src)
        if b.unit() < 0.5:
            return replace(orig, duplicate_of=src, duplicate_kind="same_file")
        q = max(55, orig.quality - 6 - b.below(13)) if orig.fmt != "PNG" else 90
        return replace(orig, fmt=_REENCODED_FMT[orig.fmt], quality=q, duplicate_of=src, duplicate_kind="reencoded")

    def image_fmt(self, iid: int) -> str:
        """``picture(iid).fmt`` without drawing the rest (a listing only needs the file's extension)."""
        dup = self._duplicate(iid)
        if dup is None:
            return self._drawing(iid, fmt_only=True)
        src, b = dup
        fmt = self._drawing(src, fmt_only=True)
        return fmt if b.unit() < 0.5 else _REENCODED_FMT[fmt]

    def _duplicate(self, iid: int) -> tuple[int, _Bits] | None:
        """``(original, draws)`` when ``iid`` is a duplicate (the draws then pick its kind), else None."""
        pid = self.product_of_image(iid)
        first = self.img_off[pid - 1] + 1
        if first == 1:
            return None
        b = self._bits(2, iid)
        if b.unit() >= self.spec.duplicate_share:
            return None
        return self._original(1 + b.below(first - 1)), b

    def _drawing(self, iid: int, fmt_only: bool = False):
        """The picture of ``iid`` drawn as an original (its format alone with ``fmt_only``).

        Its draws are the same whether ``iid`` is shown as itself or as the source of a
        duplicate: the stream skips the draws that decide duplication (three of them after
        product 1, the layout catalogs have always used for originals), whatever their outcome."""
        pid = self.product_of_image(iid)
        b = self._bits(2, iid)
        first_of_product = self.img_off[pid - 1] + 1
        if first_of_product > 1:
            b.unit()
            b.unit()
            b.below(first_of_product - 1)
        shape, colour = self.shape_of(pid)
        if iid != first_of_product and b.unit() < 0.4:  # other angles/colours of the same product
            colour = COLOURS[COLOUR_LIST[b.below(len(COLOUR_LIST))]]
        size = min(b.weighted(SIZES, SIZE_WEIGHTS), max(300, self.spec.max_image_size))
        aspect = b.weighted(ASPECTS, ASPECT_WEIGHTS)
        fmt = b.weighted(FORMATS, FORMAT_WEIGHTS)
        if fmt_only:
            return fmt
        if aspect[0] >= aspect[1]:
            w, h = size, max(300, size * aspect[1] // aspect[0])
        else:
            w, h = max(300, size * aspect[0] // aspect[1]), size
        background = BACKGROUNDS[b.below(4)]
        if fmt != "JPEG" and b.unit() < 0.4:
            background = "transparent"
        orientation = 1
        if fmt == "JPEG" and b.unit() < 0.1:
            orientation = (3, 6, 8)[b.below(3)]
        quality = 78 + b.below(18)
        return Picture(iid, shape, colour, background, w, h, fmt, quality, orientation)

    def _original(self, iid: int) -> int:
        """Follow duplicates back to the original image they copy (the draws of ``_duplicate``)."""
        while (dup := self._duplicate(iid)) is not None:
            iid = dup[0]
        return iid

    def image_file(self, iid: int, pid: int, ext: str, name: str | None = None) -> str:
        return image_path(iid, slug(name or self.product_core_name(pid))[:40], ext)

    def product_core_name(self, pid: int) -> str:
        adj, colour, noun = self._words(pid)
        return f"{adj} {colour} {noun} {pid}"

    def image_date(self, iid: int) -> str:
        return iso(CATALOG_EPOCH + (iid * 7919) % (CATALOG_SPAN // 2))

    # ---- variants ---------------------------------------------------------------------
    def variants(self, pid: int, core: dict) -> list[dict]:
        """The product's variants (without ``image_url``, which the store fills in)."""
        vids = self.variant_ids(pid)
        price = core["price"]
        out = []
        if not self.has_opts[pid - 1]:
            out.append(variant_dict(vids[0], pid, core["sku"], price, core["weight"], []))
            return out
        label, values = VARIANT_OPTIONS[pid % 2]
        option_id = 100000 + pid
        for n, vid in enumerate(vids):
            ov = [{"id": 500000 + vid, "label": values[n % len(values)], "option_id": option_id,
                   "option_display_name": label}]
            out.append(variant_dict(vid, pid, f"{core['sku']}-{n + 1}", price, core["weight"], ov))
        return out

    def variant_has_image(self, vid: int) -> bool:
        pid = self.product_of_variant(vid)
        return bool(self.has_opts[pid - 1]) and (vid * 2654435761 + self.spec.seed) % 100 < 50

    def variant_picture(self, vid: int) -> Picture:
        pid = self.product_of_variant(vid)
        shape, _ = self.shape_of(pid)
        r = self._rng(3, vid)
        colour = COLOURS[COLOUR_LIST[r.randrange(len(COLOUR_LIST))]]
        return Picture(-vid, shape, colour, "white", 800, 800, "JPEG", 88, 1)


_PRODUCT_DEFAULTS = {
    "id": 0, "name": "", "type": "physical", "sku": "", "description": "", "weight": 0, "width": 0, "depth": 0,
    "height": 0, "price": 0, "cost_price": 0, "retail_price": 0, "sale_price": 0, "map_price": 0, "tax_class_id": 0,
    "product_tax_code": "", "calculated_price": 0, "categories": None, "brand_id": 0, "option_set_display": "right",
    "inventory_level": 0, "inventory_warning_level": 0, "inventory_tracking": "none", "reviews_rating_sum": 0,
    "reviews_count": 0, "total_sold": 0, "fixed_cost_shipping_price": 0, "is_free_shipping": False,
    "is_visible": True, "is_featured": False, "related_products": None, "warranty": "", "bin_picking_number": "",
    "layout_file": "product.html", "upc": "", "mpn": "", "gtin": "", "search_keywords": "",
    "availability": "available", "availability_description": "", "gift_wrapping_options_type": "any",
    "gift_wrapping_options_list": None, "sort_order": 0, "condition": "New", "is_condition_shown": False,
    "order_quantity_minimum": 0, "order_quantity_maximum": 0, "page_title": "", "meta_keywords": None,
    "meta_description": "", "date_created": None, "date_modified": None, "view_count": 0,
    "preorder_release_date": None, "preorder_message": "", "is_preorder_only": False, "is_price_hidden": False,
    "price_hidden_label": "", "custom_url": None, "base_variant_id": None, "open_graph_type": "product",
    "open_graph_title": "", "open_graph_description": "", "open_graph_use_meta_description": True,
    "open_graph_use_product_name": True, "open_graph_use_image": True,
}
# the fields a caller may give (others keep their default)
_PRODUCT_GIVEN = frozenset({
    "name", "sku", "description", "weight", "price", "sale_price", "categories", "brand_id", "inventory_level",
    "inventory_tracking", "total_sold", "is_visible", "search_keywords", "view_count", "base_variant_id"})
_NOT_URL = re.compile(r"[^a-z0-9]+")


def product_dict(pid: int, **f) -> dict:
    """A complete ``product_Full`` with BigCommerce's defaults for everything not given.

    A copy of one template (its key order is the response's), then the given fields; the
    lists are new for every product."""
    d = _PRODUCT_DEFAULTS.copy()
    for k, v in f.items():
        if k in _PRODUCT_GIVEN:
            d[k] = v
    d["date_created"], d["date_modified"] = f["date_created"], f["date_modified"]
    name = d["name"]
    d["id"] = pid
    d["calculated_price"] = d["sale_price"] or d["price"]
    d["categories"] = f.get("categories", [])
    d["related_products"] = [-1]
    d["gift_wrapping_options_list"] = []
    d["meta_keywords"] = []
    d["custom_url"] = {"url": f"/{_NOT_URL.sub('-', name.lower()).strip('-')}/", "is_customized": False}
    return d


def variant_dict(vid: int, pid: int, sku: str, price: float, weight: float, option_values: list) -> dict:
    return {
        "id": vid,
        "product_id": pid,
        "sku": sku,
        "sku_id": vid if option_values else None,
        "price": price if option_values else None,
        "calculated_price": price,
        "sale_price": None,
        "retail_price": None,
        "map_price": 0,
        "weight": None,
        "calculated_weight": weight,
        "width": None,
        "height": None,
        "depth": None,
        "is_free_shipping": False,
        "fixed_cost_shipping_price": None,
        "purchasing_disabled": False,
        "purchasing_disabled_message": "",
        "image_url": "",
        "cost_price": None,
        "upc": "",
        "mpn": "",
        "gtin": "",
        "inventory_level": 0,
        "inventory_warning_level": 0,
        "bin_picking_number": "",
        "option_values": option_values,
    }
