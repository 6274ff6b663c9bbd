"""Quotes: a pure function of a specification's options and a number of billable
images (duplicate groups: duplicates are never charged). Integer minor units only."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import DomainError
from core.pricing.settings import PriceList, price_list
from core.specs.options import Retouch, Shadow, SpecOptions, Turnaround

MAX_IMAGES = 10_000_000


@dataclass(frozen=True)
class QuoteLine:
    code: str  # BASE, SHADOW_DROP, ..., VOLUME_DISCOUNT
    description: str
    quantity: int
    unit_amount: int  # minor units; negative for a discount
    amount: int


@dataclass(frozen=True)
class PriceQuote:
    lines: tuple[QuoteLine, ...]
    total: int
    currency: str
    turnaround_hours: int
    image_count: int

    def to_json(self) -> dict:
        return {"lines": [vars(line) for line in self.lines], "total": self.total, "currency": self.currency,
                "turnaround_hours": self.turnaround_hours, "image_count": self.image_count}

    @classmethod
    def from_json(cls, data: dict) -> "PriceQuote":
        return cls(lines=tuple(QuoteLine(**line) for line in data["lines"]), total=data["total"],
                   currency=data["currency"], turnaround_hours=data["turnaround_hours"],
                   image_count=data["image_count"])


def quote(options: SpecOptions, image_count: int, prices: PriceList | None = None) -> PriceQuote:
    if not 0 <= image_count <= MAX_IMAGES:
        raise DomainError(f"imageCount is between 0 and {MAX_IMAGES}.", field="imageCount")
    p = prices or price_list()
    n = image_count
    per_image: list[tuple[str, str, int]] = [("BASE", "Editing per image", p.base)]
    shadow = {Shadow.DROP: ("SHADOW_DROP", "Drop shadow", p.shadow_drop),
              Shadow.REFLECTION: ("SHADOW_REFLECTION", "Reflection", p.shadow_reflection)}.get(options.shadow)
    if shadow:
        per_image.append(shadow)
    if options.keep_original_shadow:
        per_image.append(("SHADOW_KEEP_ORIGINAL", "Keep the original shadow", p.shadow_keep_original))
    if options.clipping_path:
        per_image.append(("CLIPPING_PATH", "Clipping path", p.clipping_path))
    if options.retouch == Retouch.BASIC:
        per_image.append(("RETOUCH_BASIC", "Basic retouching", p.retouch_basic))
    elif options.retouch == Retouch.ADVANCED:
        per_image.append(("RETOUCH_ADVANCED", "Advanced retouching", p.retouch_advanced))
    express = options.turnaround == Turnaround.EXPRESS
    if express:
        per_image.append(("EXPRESS", "Express turnaround", p.express))
    lines = [QuoteLine(code, text, n, unit, unit * n) for code, text, unit in per_image]
    subtotal = sum(line.amount for line in lines)
    tier = max((t for t in p.volume_tiers if n >= t.min_images), key=lambda t: t.min_images, default=None)
    if tier is not None and tier.discount_bp and subtotal:
        discount = (subtotal * tier.discount_bp + 5_000) // 10_000  # rounded half up, in minor units
        pct = f"{tier.discount_bp / 100:g}"
        lines.append(QuoteLine("VOLUME_DISCOUNT", f"Volume discount ({pct} % from {tier.min_images} images)",
                               1, -discount, -discount))
    total = sum(line.amount for line in lines)
    return PriceQuote(lines=tuple(lines), total=total, currency=p.currency,
                      turnaround_hours=p.express_hours if express else p.standard_hours, image_count=n)
