"""Pixport's copy of the catalog follows what a publish wrote, without re-reading the
store: the replaced image is marked removed, the written one is added (``edited`` set,
so the "edited or not" filter knows it; analysis picks it up like any new image)."""

from __future__ import annotations

from core.catalog.models import AnalysisStatus, Image, Product
from core.catalog.sync import category_key
from core.connectors import ExternalImage
from core.timeutil import utcnow


async def reflect(store_id: int, product_pk: int | None, replaced: str | None, written: ExternalImage, *,
                  edited: bool) -> None:
    now = utcnow()
    old = await Image.get_or_none(store_id=store_id, external_id=replaced) if replaced else None
    if replaced and written.external_id == replaced:  # a variant's image: same place, new picture
        if old is not None:
            await Image.filter(id=old.id).update(source_url=written.url or old.source_url, edited=edited,
                                                 analysis_status=AnalysisStatus.PENDING, modified_at=now)
        return
    if old is not None:
        await Image.filter(id=old.id, removed_at__isnull=True).update(removed_at=now)
    product = await Product.get_or_none(id=product_pk) if product_pk else None
    if product is None or await Image.exists(store_id=store_id, external_id=written.external_id):
        return
    await Image.create(
        store_id=store_id, product_id=product.id, external_id=written.external_id,
        variant_external_id=written.variant_external_id, position=written.position,
        is_thumbnail=written.is_thumbnail, alt_text=written.alt_text[:500], file_name=written.file_name[:500],
        source_url=written.url, thumbnail_url=written.thumbnail_url, modified_at=now, synced_at=now,
        product_name=product.name, sku=product.sku, brand=product.brand, category_ids=category_key(product.categories),
        is_visible=product.is_visible, edited=edited)
