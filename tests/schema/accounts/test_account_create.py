"""Sign-up: accountCreate, the welcome mail with its verification link, and bad input."""

from __future__ import annotations

import re

import pytest

from core.accounts.models import Account, User
from core.jobs.models import Job, JobStatus
from tests.support.mail import body_html, body_text
from tests.support.servers import wait_until

pytestmark = pytest.mark.embedded

CREATE = """mutation($input: AccountCreateInput!) { accountCreate(input: $input) {
  token user { email name role emailVerified account { name } } errors { code field message } } }"""
ME = "{ me { email name role account { name } } }"


async def test_sign_up_signs_in_and_sends_the_welcome_mail(gql, mailbox):
    data = await gql(CREATE, {"input": {"email": "  Ann.Lee@Example.COM ", "password": "pictures of shoes 42", "name": "Ann Lee"}})
    payload = data["accountCreate"]
    assert payload["errors"] == []
    assert payload["user"] == {"email": "ann.lee@example.com", "name": "Ann Lee", "role": "OWNER",
                               "emailVerified": False, "account": {"name": "Ann Lee"}}
    assert (await gql(ME, token=payload["token"]))["me"]["email"] == "ann.lee@example.com"

    # The welcome mail is a job: it runs, succeeds, and the mail has both bodies and a working link.
    job = await wait_until(lambda: Job.filter(kind="mail.welcome", status=JobStatus.SUCCEEDED).first())
    assert job.done == job.total == 1
    [mail] = await wait_until(lambda: mailbox.to("ann.lee@example.com"))
    assert "Welcome to Pixport" in mail["Subject"]
    link = re.search(r"verifyEmail=(\S+)", body_text(mail)).group(1)
    assert link in body_html(mail)

    verify = """mutation($t: String!) { accountEmailVerify(token: $t) { user { emailVerified } errors { code } } }"""
    assert (await gql(verify, {"t": link}))["accountEmailVerify"] == {"user": {"emailVerified": True}, "errors": []}
    assert (await gql(verify, {"t": link[:-2] + "xx"}))["accountEmailVerify"]["errors"] == [{"code": "EXPIRED"}]


async def _counts():
    return await Account.all().count(), await User.all().count(), await Job.all().count()


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        ({"email": "not-an-email", "password": "pictures of shoes 42", "name": "A"}, [("INVALID", "email")]),
        ({"email": "a@example.com", "password": "short", "name": "A"}, [("WEAK_PASSWORD", "password")]),
        ({"email": "a@example.com", "password": "aaaaaaaaaaaaaa", "name": "A"}, [("WEAK_PASSWORD", "password")]),
        ({"email": "anna.banana@example.com", "password": "x anna.banana 9", "name": "A"}, [("WEAK_PASSWORD", "password")]),
        ({"email": "a@example.com", "password": "x" * 300 + "abcdef", "name": "A"}, [("WEAK_PASSWORD", "password")]),
        ({"email": "bad", "password": "pictures of shoes 42", "name": "  "}, [("REQUIRED", "name"), ("INVALID", "email")]),
    ],
)
async def test_bad_sign_up_input_gets_typed_errors_and_changes_nothing(gql, mailbox, input, expected):
    before = await _counts()
    payload = (await gql(CREATE, {"input": input}))["accountCreate"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == expected
    assert all(e["message"] for e in payload["errors"])
    assert payload["user"] is None and payload["token"] is None
    assert await _counts() == before


async def test_an_email_signs_up_once_whatever_its_case(gql):
    await gql.sign_up("ann@example.com")
    before = await _counts()
    payload = (await gql(CREATE, {"input": {"email": "ANN@example.com", "password": "another passphrase", "name": "B"}}))["accountCreate"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("UNIQUE", "email")]
    assert await _counts() == before


async def test_an_unknown_store_link_token_is_refused(gql):
    payload = (await gql(CREATE, {"input": {"email": "a@example.com", "password": "pictures of shoes 42", "name": "A",
                                              "storeLinkToken": "nope"}}))["accountCreate"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("EXPIRED", "storeLinkToken")]
    assert await User.all().count() == 0
