"""Connected stores: who may see them, and the sealed credentials connectors need."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core.accounts.visibility import rows_visible_to
from core import runtime, security
from core.accounts.models import Role, Session, User
from core.connectors import Connector, StoreAccess, connector_class
from core.jobs import services as jobs
from core.jobs.models import Job, JobStatus
from core.stores.errors import StoreLinkedElsewhere, StoreLinkExpired, StoreNotFound, StoreUninstalled
from core.stores.models import Store, StoreStatus, StoreUser, UsedToken
from core.timeutil import utcnow


def secret_box() -> security.SecretBox:
    return security.SecretBox(runtime.current().settings.signing_key)


def visible_stores(user: User | None):
    """The stores ``user`` may see: their account's (staff see all)."""
    return rows_visible_to(user, Store)


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


# ---- install, app entry, store links, uninstall (platform-neutral; plugins call these) ----

log = logging.getLogger(__name__)

STORE_LINK_PURPOSE = "store-link"
STORE_LINK_TTL = timedelta(minutes=30)
_ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


@dataclass(frozen=True)
class PlatformUser:
    """A user of the platform's control panel (e.g. a BigCommerce user id and e-mail)."""

    external_id: str
    email: str = ""


@dataclass(frozen=True)
class AppEntry:
    """How the app opens for a platform user: ``session`` (a Pixport bearer token) when
    that user is linked to a Pixport user of the store's account, else ``storeLinkToken``."""

    kind: str  # "session" | "storeLinkToken"
    token: str


@dataclass(frozen=True)
class StoreLink:
    store: Store
    platform_user: PlatformUser
    jti: str
    expires_at: datetime


async def find_store(platform: str, external_id: str) -> Store | None:
    return await Store.get_or_none(platform=platform, external_id=external_id)


def webhook_secret(store: Store) -> str | None:
    """The store's webhook secret in clear (None once uninstalled)."""
    return secret_box().open(store.webhook_secret_sealed) if store.webhook_secret_sealed else None


async def use_once(key: str, expires_at: datetime) -> bool:
    """Record a single-use key (a JWT id, a webhook delivery); False if it was seen before."""
    now = utcnow()
    await UsedToken.filter(expires_at__lt=now).delete()
    try:
        await UsedToken.create(key=key[:200], expires_at=max(expires_at, now + timedelta(minutes=1)))
    except IntegrityError:
        return False
    return True


async def forget_once(key: str) -> None:
    """Undo ``use_once`` (the work it guarded failed and should be redone on a retry)."""
    await UsedToken.filter(key=key[:200]).delete()


async def record_store_user(store: Store, user: PlatformUser, *, is_owner: bool = False) -> StoreUser:
    """Add or refresh a platform user who may open the app; a user the platform lets in
    again (after ``remove_store_user``) is active again (but must link anew)."""
    for _ in range(2):
        su = await StoreUser.get_or_none(store=store, external_user_id=user.external_id)
        if su is None:
            try:
                return await StoreUser.create(store=store, external_user_id=user.external_id, email=user.email,
                                              is_owner=is_owner)
            except IntegrityError:  # the same user arrived twice at once
                continue
        changed = []
        if user.email and su.email != user.email:
            su.email = user.email
            changed.append("email")
        if is_owner and not su.is_owner:
            su.is_owner = True
            changed.append("is_owner")
        if su.removed_at is not None:
            su.removed_at = None
            changed.append("removed_at")
        if changed:
            await su.save(update_fields=changed)
        return su
    raise RuntimeError("store user could not be recorded")


async def record_install(
    platform: str,
    external_id: str,
    *,
    access_token: str,
    scopes: str,
    owner: PlatformUser,
    user: PlatformUser,
) -> Store:
    """The app was installed (or re-authorized) in a store: create or update the Store with
    the token sealed, a per-store webhook secret (kept across re-authorizations), and the
    installing user and the owner as store users."""
    box = secret_box()
    sealed_token = box.seal(access_token)
    for _ in range(2):
        store = await find_store(platform, external_id)
        if store is None:
            try:
                store = await Store.create(
                    platform=platform, external_id=external_id, access_token_sealed=sealed_token,
                    webhook_secret_sealed=box.seal(secrets.token_urlsafe(32)), scopes=scopes[:1000],
                    owner_email=owner.email, status=StoreStatus.INSTALLED,
                )
            except IntegrityError:  # two installs of one store at the same moment
                continue
        else:
            store.access_token_sealed = sealed_token
            if not store.webhook_secret_sealed:
                store.webhook_secret_sealed = box.seal(secrets.token_urlsafe(32))
            store.scopes = scopes[:1000]
            store.owner_email = owner.email or store.owner_email
            if store.status != StoreStatus.INSTALLED:
                store.status = StoreStatus.INSTALLED
                store.installed_at = utcnow()
                store.uninstalled_at = None
            await store.save(update_fields=["access_token_sealed", "webhook_secret_sealed", "scopes", "owner_email",
                                            "status", "installed_at", "uninstalled_at"])
        break
    else:
        raise RuntimeError("store could not be recorded")
    await record_store_user(store, owner, is_owner=True)
    if user.external_id != owner.external_id:
        await record_store_user(store, user)
    return store


async def update_store_details(store: Store, *, name: str, domain: str) -> None:
    store.name, store.domain = name[:200], domain[:255]
    await store.save(update_fields=["name", "domain"])


async def app_entry(store: Store, user: PlatformUser) -> AppEntry:
    """Open the app for a platform user the platform vouched for (a verified load)."""
    from core.accounts.services import _new_session  # the one way sessions are made

    su = await record_store_user(store, user)
    if store.account_id is not None and su.user_id is not None:
        pixport_user = await User.get_or_none(id=su.user_id)
        if pixport_user is not None and pixport_user.account_id == store.account_id:
            return AppEntry("session", await _new_session(pixport_user))
    return AppEntry("storeLinkToken", store_link_token(store, user))


def store_link_token(store: Store, user: PlatformUser) -> str:
    key = runtime.current().settings.signing_key
    return security.sign(key, STORE_LINK_PURPOSE, str(store.id), STORE_LINK_TTL, xu=user.external_id,
                         em=user.email, jti=uuid.uuid4().hex)


_EXPIRED = "This store link has expired or was already used. Open Pixport again from your store's control panel."
_ELSEWHERE = ("This store is already connected to another Pixport account. Log in with that account, "
              "or ask its owner to disconnect the store first.")


async def read_store_link(token: str, *, for_new_account: bool = False, field: str = "storeLinkToken") -> StoreLink:
    """Check a storeLinkToken (nothing is changed). A store already connected to an
    account can only be linked by a user of that account, so never to a new account."""
    claims = security.unsign(runtime.current().settings.signing_key, STORE_LINK_PURPOSE, token or "")
    if not claims or not str(claims.get("sub", "")).isdigit() or not claims.get("jti"):
        raise StoreLinkExpired(_EXPIRED, field=field)
    store = await Store.get_or_none(id=int(claims["sub"]))
    if store is None or store.status != StoreStatus.INSTALLED:
        raise StoreLinkExpired(_EXPIRED, field=field)
    if await UsedToken.exists(key=f"store-link:{claims['jti']}"):
        raise StoreLinkExpired(_EXPIRED, field=field)
    if for_new_account and store.account_id is not None:
        raise StoreLinkedElsewhere(_ELSEWHERE, field=field)
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo)
    return StoreLink(store, PlatformUser(str(claims.get("xu", "")), str(claims.get("em", ""))), claims["jti"], expires)


async def link_store(link: StoreLink, user: User, *, field: str = "storeLinkToken") -> Store:
    """Connect the store to ``user``'s account (if it is not connected yet) and the platform
    user to ``user``. The link is used up; a store of another account is refused."""
    async with in_transaction():
        store = await Store.select_for_update().get(id=link.store.id)
        if store.account_id is not None and store.account_id != user.account_id:
            raise StoreLinkedElsewhere(_ELSEWHERE, field=field)
        try:
            await UsedToken.create(key=f"store-link:{link.jti}", expires_at=link.expires_at)
        except IntegrityError:
            raise StoreLinkExpired(_EXPIRED, field=field) from None
        newly_linked = store.account_id is None
        if newly_linked:
            store.account_id = user.account_id
            await store.save(update_fields=["account_id"])
        if link.platform_user.external_id:
            su = await StoreUser.get_or_none(store=store, external_user_id=link.platform_user.external_id)
            if su is None:
                await StoreUser.create(store=store, external_user_id=link.platform_user.external_id,
                                       email=link.platform_user.email, user=user)
            else:
                su.user_id, su.removed_at = user.id, None
                await su.save(update_fields=["user_id", "removed_at"])
        if newly_linked:  # jobs queued at install (the first sync) now belong to the account
            ids = [j.id for j in await _store_jobs(store.id, account_less=True)]
            if ids:
                await Job.filter(id__in=ids, account_id=None).update(account_id=user.account_id)
    return store


async def _store_jobs(store_id: int, *, account_less: bool = False, active_only: bool = False) -> list[Job]:
    """Jobs working on a store: queued or running ones whose payload names it, and (unless
    ``active_only``) the store's current sync and analysis jobs whatever their status."""
    store = await Store.get_or_none(id=store_id)
    own = {i for i in (getattr(store, "sync_job_id", None), getattr(store, "analysis_job_id", None)) if i}
    active = Q(status__in=_ACTIVE_JOB_STATUSES)
    query = Job.filter(active if active_only or not own else (active | Q(id__in=own)))
    if account_less:
        query = query.filter(account_id=None)
    return [j for j in await query if (j.payload or {}).get("store_id") == store_id or j.id in own]


async def uninstall_store(store: Store) -> int:
    """The app was uninstalled: cancel the store's queued and running jobs, forget its token
    and webhook secret (later deliveries are refused), mark it UNINSTALLED. Its catalog
    and orders stay (a reinstall picks them up). Returns how many jobs were cancelled."""
    now = utcnow()
    async with in_transaction():
        store = await Store.select_for_update().get(id=store.id)
        store.status = StoreStatus.UNINSTALLED
        store.uninstalled_at = now
        store.access_token_sealed = None
        store.webhook_secret_sealed = None
        await store.save(update_fields=["status", "uninstalled_at", "access_token_sealed", "webhook_secret_sealed"])
        active = await _store_jobs(store.id, active_only=True)
        ids = [j.id for j in active]
        if ids:
            await Job.filter(id__in=ids, status__in=_ACTIVE_JOB_STATUSES).update(
                status=JobStatus.CANCELLED, finished_at=now, message="The app was uninstalled from the store."
            )
    for job in await Job.filter(id__in=ids) if ids else []:
        await jobs.announce(job)
    return len(ids)


async def remove_store_user(store: Store, external_user_id: str) -> bool:
    """The platform took a user's access to the app away. That user's link to a Pixport
    user is cut (opening the app again asks to log in). Their Pixport sessions end only
    when the store was their one way in: a MEMBER with no other active store link. An
    account OWNER keeps theirs: their credentials, orders and cards are the account's,
    not the store's. Returns whether sessions were ended."""
    su = await StoreUser.get_or_none(store=store, external_user_id=external_user_id)
    if su is None:
        return False
    pixport_user_id = su.user_id
    su.removed_at, su.user_id = utcnow(), None
    await su.save(update_fields=["removed_at", "user_id"])
    if pixport_user_id is None:
        return False
    user = await User.get_or_none(id=pixport_user_id)
    if user is None or user.role != Role.MEMBER:
        return False
    if await StoreUser.filter(user_id=user.id, removed_at=None).exists():
        return False
    await Session.filter(user_id=user.id).delete()
    return True
