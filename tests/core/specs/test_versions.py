"""A specification version used by a paid order never changes in place."""

from __future__ import annotations

import pytest

from core.accounts.models import User
from core.errors import ErrorCode
from core.specs import services as specs
from core.specs.errors import SpecificationLocked
from core.specs.models import SpecificationVersion

pytestmark = pytest.mark.embedded


async def test_a_locked_version_refuses_edits_in_place_and_an_update_makes_a_new_one(gql):
    await gql.sign_up("ann@example.com")
    user = await User.get(email="ann@example.com")
    spec = await specs.create(user, "White 1600", {"background": {"kind": "WHITE"}})
    first = await specs.current_version(spec)
    await specs.lock_version(first.id)
    await first.refresh_from_db()
    before = dict(first.options)

    with pytest.raises(SpecificationLocked) as refused:
        await specs.edit_version_in_place(first, {**before, "quality": 70})
    assert refused.value.code == ErrorCode.LOCKED
    assert (await SpecificationVersion.get(id=first.id)).options == before

    updated = await specs.update(user, spec.id, None, {"quality": 70})
    second = await specs.current_version(updated)
    assert second.id != first.id and not second.locked
    assert (await SpecificationVersion.get(id=first.id)).options == before
