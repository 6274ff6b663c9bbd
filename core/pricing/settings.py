"""The price list, from settings (prefix ``PIXPORT_PRICE_``), in integer minor units
of ``currency``. Defaults in US cents. Volume tiers are a JSON list in
``PIXPORT_PRICE_VOLUME_TIERS``: ``[{"min_images": 100, "discount_bp": 500}, ...]``
(basis points: 500 = 5 %)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class VolumeTier(BaseModel):
    min_images: int = Field(ge=1)
    discount_bp: int = Field(ge=0, le=10_000)


class PriceList(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIXPORT_PRICE_", extra="ignore")

    currency: str = "USD"
    base: int = 150  # per image: background, crop, margins, size, format, profile
    shadow_drop: int = 40
    shadow_reflection: int = 60
    shadow_keep_original: int = 50
    clipping_path: int = 50
    retouch_basic: int = 100
    retouch_advanced: int = 300
    express: int = 100  # per image
    standard_hours: int = 24
    express_hours: int = 6
    volume_tiers: list[VolumeTier] = Field(default_factory=lambda: [
        VolumeTier(min_images=100, discount_bp=500),
        VolumeTier(min_images=1_000, discount_bp=1_000),
        VolumeTier(min_images=10_000, discount_bp=1_500),
    ])


@lru_cache(maxsize=1)
def price_list() -> PriceList:
    return PriceList()
