"""Log in (sessionCreate), log out (sessionDelete), and what a token is worth."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.accounts.models import Session
from core.timeutil import utcnow

pytestmark = pytest.mark.embedded

LOGIN = """mutation($input: SessionCreateInput!) { sessionCreate(input: $input) {
  token user { email } errors { code field message } } }"""
LOGOUT = "mutation { sessionDelete { ok errors { code } } }"
ME = "{ me { email } }"


async def test_log_in_with_any_case_of_the_email_then_log_out(gql):
    await gql.sign_up("ann@example.com", password="a long passphrase 1")
    payload = (await gql(LOGIN, {"input": {"email": "ANN@Example.com", "password": "a long passphrase 1"}}))["sessionCreate"]
    assert payload["errors"] == [] and payload["user"] == {"email": "ann@example.com"}
    token = payload["token"]
    assert (await gql(ME, token=token))["me"] == {"email": "ann@example.com"}

    assert (await gql(LOGOUT, token=token))["sessionDelete"] == {"ok": True, "errors": []}
    assert (await gql(ME, token=token))["me"] is None


@pytest.mark.parametrize("email,password", [("ann@example.com", "wrong passphrase"), ("nobody@example.com", "a long passphrase 1"), ("", "")])
async def test_wrong_credentials_get_one_answer_that_reveals_nothing(gql, email, password):
    await gql.sign_up("ann@example.com", password="a long passphrase 1")
    sessions = await Session.all().count()
    payload = (await gql(LOGIN, {"input": {"email": email, "password": password}}))["sessionCreate"]
    assert payload["token"] is None
    assert payload["errors"] == [{"code": "INVALID_CREDENTIALS", "field": "password", "message": "Wrong e-mail or password."}]
    assert await Session.all().count() == sessions


async def test_expired_unknown_and_malformed_tokens_are_anonymous(gql):
    token = (await gql.sign_up())["token"]
    await Session.all().update(expires_at=utcnow() - timedelta(seconds=1))
    for bad in (token, "pxs_unknown", "garbage", "x" * 5000):
        assert (await gql(ME, token=bad))["me"] is None


async def test_logging_out_needs_a_session(gql):
    body = await gql.raw(LOGOUT)
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Sign in first."
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
