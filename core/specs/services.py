"""Creating, editing, deleting specifications; who may see them.

Editing: an unlocked current version is edited in place (orders not yet paid
follow it and are re-quoted); a locked one is never touched — a new version
becomes current. Deleting: a specification no order has used is deleted; one
that orders use is archived (hidden from lists and from new orders, kept for
those orders), so order history never loses its recipe."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from core.accounts.visibility import rows_visible_to
from core.errors import DomainError, ErrorCode, ValidationFailed
from core.specs import options as spec_options
from core.specs.errors import SpecificationLocked, SpecificationNotFound
from core.specs.models import Specification, SpecificationVersion
from core.timeutil import utcnow

MAX_NAME = 200


def visible_specifications(user, *, include_archived: bool = False):
    query = rows_visible_to(user, Specification)
    return query if include_archived else query.filter(archived_at__isnull=True)


async def get_for_user(user, spec_id: int, field: str = "id", *, include_archived: bool = False) -> Specification:
    spec = await visible_specifications(user, include_archived=include_archived).filter(id=spec_id).first()
    if spec is None:
        raise SpecificationNotFound("No such specification.", field=field)
    return spec


async def current_version(spec: Specification) -> SpecificationVersion:
    return await SpecificationVersion.get(id=spec.current_version_id)


def _name(name: str | None, field: str = "input.name") -> str:
    text = (name or "").strip()
    if not text:
        raise DomainError("Give the specification a name.", field=field, code=ErrorCode.REQUIRED)
    if len(text) > MAX_NAME:
        raise DomainError(f"A name is at most {MAX_NAME} characters.", field=field)
    return text


def _checked(name: str | None, options: dict[str, Any] | None) -> tuple[str | None, spec_options.SpecOptions | None]:
    """The name and the options given (None: not given), checked together: every problem at once."""
    errors: list[DomainError] = []
    clean_name = opts = None
    if name is not None:
        try:
            clean_name = _name(name)
        except DomainError as exc:
            errors.append(exc)
    if options is not None:
        try:
            opts = spec_options.validate(options)
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    return clean_name, opts


async def create(user, name: str, options: dict[str, Any] | None) -> Specification:
    clean_name, opts = _checked(name or "", options or {})
    async with in_transaction():
        spec = await Specification.create(account_id=user.account_id, name=clean_name)
        version = await SpecificationVersion.create(specification=spec, number=1, options=opts.to_json())
        spec.current_version_id = version.id
        await spec.save(update_fields=["current_version_id"])
    return spec


def merge(base: dict, patch: dict) -> dict:
    """``base`` with ``patch`` laid over it, nested objects merged key by key."""
    out = dict(base)
    for key, value in patch.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


async def update(user, spec_id: int, name: str | None, options: dict[str, Any] | None) -> Specification:
    """``options`` holds the options to change (nested, partial); None changes none."""
    spec = await get_for_user(user, spec_id)
    if options is not None:
        options = merge((await current_version(spec)).options, options)
    new_name, opts = _checked(name, options)
    new_name = new_name or spec.name
    requote: list[int] = []
    async with in_transaction():
        spec = await Specification.select_for_update().get(id=spec.id)
        version = await SpecificationVersion.select_for_update().get(id=spec.current_version_id)
        if opts is not None and opts.to_json() != version.options:
            if version.locked:
                number = await SpecificationVersion.filter(specification_id=spec.id).count() + 1
                version = await SpecificationVersion.create(specification_id=spec.id, number=number,
                                                            options=opts.to_json())
                spec.current_version_id = version.id
            else:
                await edit_version_in_place(version, opts.to_json())
                requote.append(version.id)
        spec.name = new_name
        await spec.save(update_fields=["name", "current_version_id", "updated_at"])
    if requote:
        from core.orders import services as orders  # orders depend on specs, not the reverse at import time

        await orders.requote_unpaid(requote[0])
    return spec


async def edit_version_in_place(version: SpecificationVersion, options: dict) -> None:
    """The only place a version's options change; refused for a locked version."""
    if version.locked:
        raise SpecificationLocked("This version was used by a paid order and cannot change; "
                                  "update the specification to make a new version.", field="id")
    version.options = options
    await version.save(update_fields=["options"])


async def lock_version(version_id: int) -> None:
    """Called when an order using this version is paid."""
    await SpecificationVersion.filter(id=version_id, locked=False).update(locked=True, locked_at=utcnow())


async def delete(user, spec_id: int) -> tuple[Specification, bool]:
    """(the specification, archived?): archived when orders use it, deleted otherwise."""
    from core.orders.models import Order

    spec = await get_for_user(user, spec_id)
    async with in_transaction():
        used = await Order.filter(specification_id=spec.id).exists()
        if used:
            spec.archived_at = utcnow()
            await spec.save(update_fields=["archived_at"])
        else:
            await Specification.filter(id=spec.id).delete()
    return spec, used


def options_of(version: SpecificationVersion) -> spec_options.SpecOptions:
    return spec_options.SpecOptions.model_validate(version.options)
