"""The GraphQL schema, composed from one class per area (no area edits another's file)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import AddValidationRules, MaskErrors, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.schema.config import StrawberryConfig

from core.errors import DomainError
from core.settings import Settings
from schema.accounts.mutations import AccountMutations
from schema.base import Money
from schema.catalog.queries import CatalogQueries
from schema.accounts.queries import AccountQueries
from schema.jobs.queries import JobQueries
from schema.jobs.subscriptions import JobSubscriptions
from schema.context import Info
from schema.permissions import Public
from schema.stores.mutations import StoreMutations
from schema.stores.queries import StoreQueries
from schema.carts.mutations import CartMutations
from schema.carts.queries import CartQueries
from schema.orders.mutations import OrderMutations
from schema.orders.queries import OrderQueries
from schema.orders.subscriptions import OrderSubscriptions
from schema.payments.mutations import PaymentMutations
from schema.payments.queries import PaymentQueries
from schema.pricing.queries import PricingQueries
from schema.production.mutations import ProductionMutations
from schema.production.queries import ProductionQueries
from schema.publishing.mutations import PublishingMutations
from schema.publishing.queries import PublishingQueries
from schema.specs.mutations import SpecificationMutations
from schema.specs.queries import SpecificationQueries


@strawberry.type
class NodeQueries:
    @strawberry.field(permission_classes=[Public], description="Refetch any object you may see, or null.")
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        # Each type's resolve_nodes returns only what the caller may see.
        try:
            return await id.resolve_node(info, required=False)
        except (KeyError, ValueError):  # a type name that is not ours
            return None


@strawberry.type
class Query(AccountQueries, StoreQueries, CatalogQueries, JobQueries, CartQueries, SpecificationQueries,
            PricingQueries, OrderQueries, PaymentQueries, ProductionQueries, PublishingQueries,
            NodeQueries):
    pass


@strawberry.type
class Mutation(AccountMutations, StoreMutations, CartMutations, SpecificationMutations, OrderMutations,
               PaymentMutations, ProductionMutations, PublishingMutations):
    pass


@strawberry.type
class Subscription(JobSubscriptions, OrderSubscriptions):
    pass


def should_mask_error(error: GraphQLError) -> bool:
    """Pixport's own user-facing errors, permission denials and query validation errors
    reach the client; anything else is a bug and is masked (and logged)."""
    original = error.original_error
    if original is None:
        return False
    return not isinstance(original, (DomainError, StrawberryGraphQLError))


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    # The limit rules are made once: ValidationCache keys on the rule classes, and
    # QueryDepthLimiter/MaxAliasesLimiter would make new ones for every request.
    limits = [
        max_depth_rule(settings.graphql_max_depth, None, None),
        max_aliases_rule(settings.graphql_max_aliases),
    ]
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Money],
        config=StrawberryConfig(relay_max_results=100),
        extensions=[
            lambda: AddValidationRules(limits),
            lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
            lambda: MaskErrors(should_mask_error=should_mask_error, error_message="Internal error."),
            lambda: ParserCache(maxsize=1000),
            lambda: ValidationCache(maxsize=1000),
        ],
    )
