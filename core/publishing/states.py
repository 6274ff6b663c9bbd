"""Publish plan and item lifecycles as data."""

from __future__ import annotations

from enum import Enum


class PublishAction(str, Enum):
    OVERWRITE = "OVERWRITE"  # the edited image takes the original's slot; the original is removed (kept by Pixport)
    APPEND = "APPEND"  # added to the same product, last, not thumbnail
    SKIP = "SKIP"  # nothing written; still in the log
    COPY_TO_PRODUCT = "COPY_TO_PRODUCT"  # appended to another product the merchant picks


class PlanStatus(str, Enum):
    DRAFT = "DRAFT"  # actions may change; nothing written yet
    PUBLISHING = "PUBLISHING"
    PUBLISHED = "PUBLISHED"  # every item done or skipped
    PARTIALLY_PUBLISHED = "PARTIALLY_PUBLISHED"  # some items failed (each with a reason); they can be retried
    ROLLING_BACK = "ROLLING_BACK"
    ROLLED_BACK = "ROLLED_BACK"
    ROLLBACK_INCOMPLETE = "ROLLBACK_INCOMPLETE"  # some items could not be undone; rollback can be run again


class ItemStatus(str, Enum):
    PENDING = "PENDING"
    DONE = "DONE"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"
    ROLLED_BACK = "ROLLED_BACK"


class WriteKind(str, Enum):
    PUBLISH = "PUBLISH"
    ROLLBACK = "ROLLBACK"


class WriteStatus(str, Enum):
    INTENDED = "INTENDED"  # committed before the store write: it may or may not have happened
    APPLIED = "APPLIED"
    FAILED = "FAILED"  # the store refused it: nothing happened


P = PlanStatus
# plan status -> statuses it may move to
TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    P.DRAFT: frozenset({P.PUBLISHING}),
    P.PUBLISHING: frozenset({P.PUBLISHED, P.PARTIALLY_PUBLISHED}),
    P.PUBLISHED: frozenset({P.ROLLING_BACK}),
    P.PARTIALLY_PUBLISHED: frozenset({P.PUBLISHING, P.ROLLING_BACK}),  # retry the failed items, or undo
    P.ROLLING_BACK: frozenset({P.ROLLED_BACK, P.ROLLBACK_INCOMPLETE}),
    P.ROLLBACK_INCOMPLETE: frozenset({P.ROLLING_BACK}),
    P.ROLLED_BACK: frozenset(),
}
EXECUTABLE = frozenset({P.DRAFT, P.PARTIALLY_PUBLISHED})
ROLLBACKABLE = frozenset({P.PUBLISHED, P.PARTIALLY_PUBLISHED, P.ROLLBACK_INCOMPLETE})
RUNNING = frozenset({P.PUBLISHING, P.ROLLING_BACK})
EDITABLE = frozenset({P.DRAFT, P.PARTIALLY_PUBLISHED})  # (in a partly published plan: the failed items)
