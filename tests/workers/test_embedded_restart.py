"""On the embedded defaults `pixport serve` runs the jobs itself; a job that was
running when the process died is finished after a restart."""

from __future__ import annotations

import email
import email.policy
import signal
import sqlite3

import httpx
import pytest

from tests.conftest import COLUMN
from tests.support.graphql import GraphQLClient
from tests.support.processes import spawn, stop, wait_http
from tests.support.servers import free_port, wait_until

pytestmark = [pytest.mark.embedded, pytest.mark.skipif(COLUMN != "embedded", reason="embedded column only")]


async def test_a_job_cut_off_by_a_crash_is_resumed_on_restart(tmp_path):
    env = {"PIXPORT_DATA_DIR": str(tmp_path)}
    mail_dir = tmp_path / "mail"
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    serve = spawn(["serve", "--port", str(port)], env, tmp_path / "serve.log")
    try:
        await wait_http(base + "/healthz")
        async with httpx.AsyncClient(base_url=base) as http:
            await GraphQLClient(http, base).sign_up("ann@example.com")
        await wait_until(lambda: list(mail_dir.glob("*.eml")))
    finally:
        stop(serve, signal.SIGKILL)  # no goodbye: as a crash

    # Make the database look as it would had the crash come mid-job.
    for eml in mail_dir.glob("*.eml"):
        eml.unlink()
    with sqlite3.connect(tmp_path / "pixport.sqlite3") as conn:
        conn.execute("UPDATE job SET status='RUNNING', finished_at=NULL, done=0 WHERE kind='mail.welcome'")

    serve = spawn(["serve", "--port", str(port)], env, tmp_path / "serve.log")
    try:
        await wait_http(base + "/healthz")
        [eml] = await wait_until(lambda: list(mail_dir.glob("*.eml")), timeout=20)
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        assert message["To"] == "ann@example.com"

        def finished():
            with sqlite3.connect(tmp_path / "pixport.sqlite3") as conn:
                return conn.execute("SELECT status, attempts FROM job WHERE kind='mail.welcome'").fetchone()

        status = await wait_until(lambda: (row := finished()) and row[0] == "SUCCEEDED" and row)
        assert status == ("SUCCEEDED", 2)
    finally:
        stop(serve)
