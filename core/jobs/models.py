from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model


class JobStatus(str, Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class Job(Model):
    """Long work (sync, editing, publishing, mail). This row is the truth about its
    progress; the event bus only announces that it changed."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=64, db_index=True)
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.QUEUED, db_index=True)
    account = fields.ForeignKeyField(
        "models.Account", related_name="jobs", null=True, on_delete=fields.CASCADE
    )
    # What the job works on (ids only, JSON) and where it got to (for resuming).
    payload = fields.JSONField(default=dict)
    checkpoint = fields.JSONField(null=True)
    done = fields.IntField(default=0)
    total = fields.IntField(null=True)
    message = fields.CharField(max_length=500, default="")
    attempts = fields.IntField(default=0)
    # A runner owns a RUNNING job until this time and renews it while alive; a job whose
    # lease ran out belongs to a runner that died, and is picked up again.
    lease_until = fields.DatetimeField(null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "job"
