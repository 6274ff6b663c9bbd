"""The test command (``make test``): the whole suite on PostgreSQL + Redis + SMTP,
then the tests marked ``embedded`` again on the embedded defaults (SQLite, in-process
jobs and events, .eml mail). Extra arguments go to both pytest runs."""

from __future__ import annotations

import os
import subprocess
import sys


def main() -> int:
    args = sys.argv[1:]
    runs = [
        ("scale: PostgreSQL, Redis, SMTP", {"PIXPORT_TEST_COLUMN": "scale"}, []),
        ("embedded: SQLite, in-process jobs and events, .eml mail", {"PIXPORT_TEST_COLUMN": "embedded"}, ["-m", "embedded"]),
    ]
    worst = 0
    for title, env, extra in runs:
        print(f"\n=== {title} ===", flush=True)
        code = subprocess.call([sys.executable, "-m", "pytest", *extra, *args], env={**os.environ, **env})
        worst = worst or code
    return worst


if __name__ == "__main__":
    sys.exit(main())
