"""Connected stores: who may see them, and the sealed credentials connectors need."""

from __future__ import annotations

from core import runtime, security
from core.accounts.models import User
from core.connectors import Connector, StoreAccess, connector_class
from core.stores.errors import StoreNotFound, StoreUninstalled
from core.stores.models import Store, StoreStatus


def secret_box() -> security.SecretBox:
    return security.SecretBox(runtime.current().settings.signing_key)


def visible_stores(user: User | None):
    """The stores ``user`` may see: their account's (staff see all)."""
    if user is None:
        return Store.filter(id=-1)
    if user.role.is_staff:
        return Store.all()
    return Store.filter(account_id=user.account_id)


async def get_for_user(user: User | None, store_id: int, field: str = "storeId") -> Store:
    store = await visible_stores(user).filter(id=store_id).first()
    if store is None:
        raise StoreNotFound("No such store.", field=field)
    return store


def access(store: Store) -> StoreAccess:
    if store.status != StoreStatus.INSTALLED or not store.access_token_sealed:
        raise StoreUninstalled("The app is not installed in this store any more.", field="storeId")
    settings = runtime.current().settings
    return StoreAccess(
        store_id=store.id,
        external_id=store.external_id,
        access_token=secret_box().open(store.access_token_sealed),
        image_hosts=tuple(settings.image_hosts),
    )


def connector_for(store: Store) -> Connector:
    return connector_class(store.platform)(access(store))
