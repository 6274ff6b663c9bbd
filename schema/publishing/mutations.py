from __future__ import annotations

import strawberry
from strawberry import relay

from core.errors import NotFound, ValidationFailed
from core.publishing import services
from schema.base import UserError, decode_id, mutation
from schema.context import Info
from schema.jobs.types import JobNode
from schema.permissions import IsAuthenticated
from schema.publishing.types import PublishActionEnum, PublishPlanNode


@strawberry.input(description="A new action for one item; targetProductId (a Product of the plan's store) is "
                              "required for COPY_TO_PRODUCT, and for APPEND to another store.")
class PublishItemUpdateInput:
    item_id: relay.GlobalID
    action: PublishActionEnum
    target_product_id: relay.GlobalID | None = None


@strawberry.type
class PublishPlanPayload:
    plan: PublishPlanNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PublishPlanJobPayload:
    plan: PublishPlanNode | None = None
    job: JobNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _changes(items: list[PublishItemUpdateInput]) -> list[services.ItemChange]:
    changes, errors = [], []
    for n, item in enumerate(items):
        try:
            changes.append(services.ItemChange(
                item_id=decode_id(item.item_id, "PublishItem", f"items.{n}.itemId"), action=item.action,
                target_product_id=(decode_id(item.target_product_id, "Product", f"items.{n}.targetProductId")
                                   if item.target_product_id is not None else None)))
        except NotFound as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    return changes


@strawberry.type
class PublishingMutations:
    @mutation(permission_classes=[IsAuthenticated],
              description="A plan to publish an edited order to one of your stores: one item per place each edited "
                          "image goes, OVERWRITE on the store the images came from, APPEND (same SKU) elsewhere.")
    async def publish_plan_create(self, info: Info, order_id: relay.GlobalID,
                                  store_id: relay.GlobalID) -> PublishPlanPayload:
        plan = await services.create_plan(info.context.user, decode_id(order_id, "Order", "orderId"),
                                          decode_id(store_id, "Store", "storeId"))
        return PublishPlanPayload(plan=PublishPlanNode.from_model(plan))

    @mutation(permission_classes=[IsAuthenticated],
              description="Set the action of many items at once (all or nothing).")
    async def publish_plan_items_update(self, info: Info, plan_id: relay.GlobalID,
                                        items: list[PublishItemUpdateInput]) -> PublishPlanPayload:
        plan_pk = decode_id(plan_id, "PublishPlan", "planId")
        plan = await services.update_items(info.context.user, plan_pk, _changes(items))
        return PublishPlanPayload(plan=PublishPlanNode.from_model(plan))

    @mutation(permission_classes=[IsAuthenticated],
              description="Publish the plan, or retry its failed items; follow the job with jobProgress.")
    async def publish_plan_execute(self, info: Info, plan_id: relay.GlobalID) -> PublishPlanJobPayload:
        plan, job = await services.execute(info.context.user, decode_id(plan_id, "PublishPlan", "planId"))
        return PublishPlanJobPayload(plan=PublishPlanNode.from_model(plan), job=JobNode.from_model(job))

    @mutation(permission_classes=[IsAuthenticated],
              description="Undo the publish: originals back in their slots, added images removed. Safe to repeat.")
    async def publish_plan_rollback(self, info: Info, plan_id: relay.GlobalID) -> PublishPlanJobPayload:
        plan, job = await services.rollback(info.context.user, decode_id(plan_id, "PublishPlan", "planId"))
        return PublishPlanJobPayload(plan=PublishPlanNode.from_model(plan), job=JobNode.from_model(job))
