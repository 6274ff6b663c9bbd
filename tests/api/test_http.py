"""The HTTP surface: what /graphql accepts, its limits, and the operational routes."""

from __future__ import annotations

import pytest

from core.accounts.models import User
from schema import should_mask_error

pytestmark = pytest.mark.embedded


async def test_only_json_posts_reach_graphql(gql):
    http = gql.http
    get = await http.get("/graphql", params={"query": "{ me { email } }"})
    assert get.status_code in (400, 405) and get.status_code != 500
    mutation_over_get = await http.get("/graphql", params={"query": 'mutation { sessionDelete { ok } }'})
    assert mutation_over_get.status_code in (400, 405)
    not_json = await http.post("/graphql", content=b"{ me { email } }", headers={"content-type": "text/plain"})
    assert not_json.status_code in (400, 415)
    broken_json = await http.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
    assert broken_json.status_code == 400
    no_ide = await http.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in no_ide.text.lower()


async def test_an_oversized_body_is_refused_before_it_is_parsed(gql, settings):
    big = "x" * (settings.max_body_bytes + 1)
    response = await gql.http.post("/graphql", json={"query": "{ me { email } }", "variables": {"pad": big}})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

    async def chunks():  # no Content-Length: counted while streaming
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b" " * 65536

    streamed = await gql.http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


async def test_query_depth_aliases_and_tokens_are_limited(gql, settings):
    deep = "{ me { account { id } } }"
    assert (await gql.raw(deep)).get("errors") is None
    nested = "{ node(id: \"x\") { " + "... on User { account { id " * 12 + "} }" * 12 + " } }"
    body = await gql.raw(nested)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]

    aliases = "{ " + " ".join(f"a{i}: me {{ email }}" for i in range(settings.graphql_max_aliases + 1)) + " }"
    body = await gql.raw(aliases)
    assert "aliases found" in body["errors"][0]["message"]

    tokens = "{ me { " + "email " * settings.graphql_max_tokens + "} }"
    body = await gql.raw(tokens)
    assert "token limit" in body["errors"][0]["message"].lower() or "tokens" in body["errors"][0]["message"].lower()
    assert await User.all().count() == 0


async def test_unknown_fields_get_validation_errors_not_masked(gql):
    body = await gql.raw("{ nope }")
    assert "Cannot query field 'nope'" in body["errors"][0]["message"]


def test_internal_errors_are_masked_and_pixport_errors_are_not():
    from graphql import GraphQLError

    from core.errors import NotFound

    assert should_mask_error(GraphQLError("boom", original_error=KeyError("secret")))
    assert not should_mask_error(GraphQLError("no", original_error=NotFound("No such job.")))
    assert not should_mask_error(GraphQLError("Cannot query field"))


async def test_health_readiness_metrics_and_request_ids(gql):
    http = gql.http
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    assert set(ready.json()["checks"]) >= {"database"}

    await gql.sign_up()
    response = await http.post("/graphql", json={"query": "{ me { email } }"}, headers={"X-Request-ID": "req-123"})
    assert response.headers["x-request-id"] == "req-123"
    assert len((await http.get("/healthz")).headers["x-request-id"]) == 32

    metrics = (await http.get("/metrics")).text
    assert 'pixport_http_requests_total{method="POST",route="/graphql",status="200"}' in metrics
    assert 'pixport_jobs{kind="mail.welcome"' in metrics
