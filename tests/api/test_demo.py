"""``pixport demo`` (``make run``) as a newcomer runs it: it prints where to go and a demo
login that works, the demo store's images sync, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.demo import free_port

ROOT = Path(__file__).resolve().parents[2]
STORES = "query { stores { name status imageCount } }"
LOG_IN = """mutation($input: SessionCreateInput!) { sessionCreate(input: $input) { token errors { message } } }"""


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_demo_prints_a_working_login_syncs_the_store_and_stops_everything_on_ctrl_c(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIXPORT_")}
    demo = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "demo", "--products", "6", "--port", str(port),
         "--sandbox-port", str(free_port()), "--paypal-port", str(free_port()), "--stripe-port", str(free_port()),
         "--data-dir", str(tmp_path / "demo")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out = ""
        while "Press Ctrl-C" not in out:
            line = demo.stdout.readline()
            assert line, f"the demo ended early:\n{out}"
            out += line
        children = _children(demo.pid)
        assert len(children) == 4, out  # Pixport, the two sandboxes, localstripe
        email, password = re.search(r"Demo login:\s+(\S+) / (\S+)", out).groups()
        studio = re.search(r"Retoucher login \(production staff\):\s+(\S+) / (\S+)", out).groups()
        assert re.search(r"Open the demo store's control panel: http://127\.0\.0\.1:\d+/manage/pixdemo/apps/", out)
        assert f"http://127.0.0.1:{port}/app" in out

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            r = http.post("/graphql", json={"query": LOG_IN, "variables": {"input": {"email": email,
                                                                                     "password": password}}})
            token = r.json()["data"]["sessionCreate"]["token"]
            assert token, r.text
            deadline = time.monotonic() + 60
            while True:  # the app was installed: the store's images sync
                stores = http.post("/graphql", json={"query": STORES},
                                   headers={"Authorization": f"Bearer {token}"}).json()["data"]["stores"]
                if stores and stores[0]["imageCount"] > 0:
                    break
                assert time.monotonic() < deadline, stores
                time.sleep(0.3)
            assert stores[0]["status"] == "INSTALLED" and stores[0]["name"] == "Sandbox store pixdemo"
            r = http.post("/graphql", json={"query": LOG_IN, "variables": {"input": {"email": studio[0],
                                                                                     "password": studio[1]}}})
            staff = r.json()["data"]["sessionCreate"]["token"]
            queue = http.post("/graphql", json={"query": "{ productionQueue(first: 5) { totalCount } }"},
                              headers={"Authorization": f"Bearer {staff}"}).json()
            assert queue["data"]["productionQueue"]["totalCount"] == 0, queue  # staff may read the queue

        demo.send_signal(signal.SIGINT)  # what Ctrl-C in its terminal does
        assert demo.wait(timeout=30) == 0
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()


def test_the_demo_never_empties_a_data_folder_it_did_not_make(tmp_path):
    from api.demo import DemoConfig, DemoError, DemoStack

    (tmp_path / "pixport.sqlite3").write_text("a merchant's data")
    with pytest.raises(DemoError, match="not a demo's"):
        DemoStack(DemoConfig(data_dir=tmp_path)).start()
    assert (tmp_path / "pixport.sqlite3").read_text() == "a merchant's data"
