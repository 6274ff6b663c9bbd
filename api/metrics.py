"""Prometheus metrics of this process: requests, and jobs by kind and outcome."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from tortoise.functions import Count

registry = CollectorRegistry()
REQUESTS = Counter("pixport_http_requests_total", "HTTP requests", ["route", "method", "status"], registry=registry)
LATENCY = Histogram("pixport_http_request_seconds", "HTTP request latency", ["route"], registry=registry)
JOBS = Gauge("pixport_jobs", "Jobs by kind and status (from the database)", ["kind", "status"], registry=registry)
JOB_SECONDS = Gauge("pixport_job_duration_seconds_avg", "Mean duration of finished jobs by kind", ["kind"], registry=registry)

# Only known routes get their own label, so a scanner cannot grow the series without bound.
_ROUTES = ("/graphql", "/healthz", "/readyz", "/metrics")


def observe_request(path: str, method: str, status: int, seconds: float) -> None:
    route = path if path in _ROUTES else "other"
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


async def _refresh_job_gauges() -> None:
    from core.jobs.models import Job

    JOBS.clear()
    for row in await Job.all().group_by("kind", "status").annotate(n=Count("id")).values("kind", "status", "n"):
        JOBS.labels(row["kind"], str(getattr(row["status"], "value", row["status"]))).set(row["n"])
    JOB_SECONDS.clear()
    finished = await Job.filter(finished_at__isnull=False, started_at__isnull=False).order_by("-id").limit(1000).values(
        "kind", "started_at", "finished_at"
    )
    by_kind: dict[str, list[float]] = {}
    for row in finished:
        by_kind.setdefault(row["kind"], []).append((row["finished_at"] - row["started_at"]).total_seconds())
    for kind, values in by_kind.items():
        JOB_SECONDS.labels(kind).set(sum(values) / len(values))


async def endpoint(request: Request) -> Response:
    await _refresh_job_gauges()
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
