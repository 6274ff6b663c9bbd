"""The front-end contract: the committed schema is the live one, and every operation
a front end sends is valid against it."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from api.contract import schema_sdl

pytestmark = pytest.mark.embedded

CONTRACT = Path(__file__).resolve().parent.parent / "frontend-contract"
OPERATIONS = sorted((CONTRACT / "operations").glob("*.graphql"))


def test_committed_schema_matches_the_live_schema():
    committed = (CONTRACT / "schema.graphql").read_text()
    assert committed == schema_sdl(), "schema drift: run `make schema` and commit frontend-contract/schema.graphql"


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.name)
def test_operation_is_valid_against_the_schema(path):
    errors = validate(build_schema(schema_sdl()), parse(path.read_text()))
    assert errors == [], [e.message for e in errors]


def test_names_front_ends_build_against_are_kept():
    sdl = schema_sdl()
    for name in ("me: User", "job(id: ID!): Job", "accountCreate(input: AccountCreateInput!)",
                 "sessionCreate(input: SessionCreateInput!)", "sessionDelete:", "jobProgress(jobId: ID!)",
                 "type UserError", "enum ErrorCode", "type Money", "interface Node",
                 "enum JobStatus {\n  QUEUED\n  RUNNING\n  SUCCEEDED\n  FAILED\n  CANCELLED\n}"):
        assert name in sdl, name
