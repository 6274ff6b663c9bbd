"""Where an OrderImage is in production. Each move is a conditional UPDATE on the
status it leaves (services), so two jobs or two people never both move one image."""

from __future__ import annotations

from enum import Enum


class ProductionStatus(str, Enum):
    QUEUED = "QUEUED"  # paid: waiting for its original to be downloaded
    EDITING = "EDITING"  # original stored; the engine's job is queued or running
    RETOUCH = "RETOUCH"  # waiting for a retoucher (engine not confident, spec it cannot do, redo)
    FAILED = "FAILED"  # the original cannot be edited (corrupt, gone...): error_code/message say why
    DONE = "DONE"  # a validated result is stored (result_key)


class EditedBy(str, Enum):
    ENGINE = "ENGINE"
    RETOUCHER = "RETOUCHER"


# What a retoucher may take: a person decides what happens to a FAILED image too
# (e.g. edits a file the merchant sent again).
FOR_RETOUCHER = frozenset({ProductionStatus.RETOUCH, ProductionStatus.FAILED})
