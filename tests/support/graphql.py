"""A small GraphQL client for tests: HTTP POSTs and graphql-transport-ws subscriptions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import websockets


class GraphQLError(AssertionError):
    pass


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self.http = http
        self.base_url = base_url
        self.token: str | None = None

    async def raw(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {}
        token = token or self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()

    async def __call__(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        """``data`` of a query that must not fail at the GraphQL level."""
        body = await self.raw(query, variables, token)
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        return body["data"]

    async def sign_up(self, email: str = "owner@example.com", name: str = "Owner", password: str = "a long passphrase 1") -> dict:
        data = await self(
            """mutation($input: AccountCreateInput!) { accountCreate(input: $input) {
                 token user { id email account { id name } } errors { code field message } } }""",
            {"input": {"email": email, "password": password, "name": name}},
        )
        payload = data["accountCreate"]
        assert payload["errors"] == [], payload["errors"]
        return payload

    async def subscribe(self, query: str, variables: dict | None = None, token: str | None = None) -> AsyncIterator[dict]:
        """Each ``next`` payload of one subscription, until ``complete``."""
        ws_url = self.base_url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token or self.token}"}}))
            ack = json.loads(await ws.recv())
            assert ack["type"] == "connection_ack", ack
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}))
            while True:
                message = json.loads(await ws.recv())
                if message["type"] == "next":
                    if message["payload"].get("errors"):
                        raise GraphQLError(message["payload"]["errors"])
                    yield message["payload"]
                elif message["type"] == "complete":
                    return
                elif message["type"] == "error":
                    raise GraphQLError(message["payload"])
