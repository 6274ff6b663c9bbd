"""Counting the SQL statements a piece of work runs (N+1 checks): tortoise logs each
statement on ``tortoise.db_client`` at DEBUG, in this process (the test server runs here)."""

from __future__ import annotations

import logging
from contextlib import contextmanager


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage())

    @property
    def selects(self) -> int:
        return len([s for s in self.statements if s.lstrip().upper().startswith(("SELECT", "WITH"))])

    def selects_from(self, *tables: str) -> int:
        """SELECTs reading any of ``tables``: what a request runs, without the statements
        of work the same process does meanwhile (jobs, listeners)."""
        names = [f'"{t}"' for t in tables]
        return len([s for s in self.statements if s.lstrip().upper().startswith(("SELECT", "WITH"))
                    and any(n in s for n in names)])


@contextmanager
def counting_statements():
    """``with counting_statements() as c: ...`` then ``c.selects``; ``c.statements`` to see them."""
    logger = logging.getLogger("tortoise.db_client")
    count, level = _Count(), logger.level
    logger.addHandler(count)
    logger.setLevel(logging.DEBUG)
    try:
        yield count
    finally:
        logger.removeHandler(count)
        logger.setLevel(level)
