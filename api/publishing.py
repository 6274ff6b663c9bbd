"""Publishing's HTTP routes besides GraphQL: the log as CSV (bearer session token, as
/graphql)."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from strawberry import relay

from api.graphql import bearer
from core.accounts import services as accounts
from core.errors import NotFound
from core.publishing import services
from core.publishing.models import PublishItem

COLUMNS = ("item_id", "action", "result", "product_id", "variant_id", "source_image_id", "store_image_id_before",
           "store_image_id_after", "restored_image_id", "at", "rolled_back_at", "error")

def _cell(text: str) -> str:
    """No formulas: a spreadsheet must not run what a store's error message says."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _plan_id(raw: str) -> int | None:
    try:
        gid = relay.GlobalID.from_id(raw)
        return int(gid.node_id) if gid.type_name == "PublishPlan" else None
    except Exception:  # not a global id
        return None


async def log_csv(request: Request) -> Response:
    user = await accounts.user_for_token(bearer(request.headers.get("authorization")))
    if user is None:
        return JSONResponse({"error": "Sign in first: send a valid bearer token."}, status_code=401)
    plan_id = _plan_id(request.path_params["plan_id"])
    try:
        plan = await services.get_for_user(user, plan_id if plan_id is not None else -1)
    except NotFound:
        return JSONResponse({"error": "No such publish plan."}, status_code=404)

    async def rows():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        last = 0
        while True:  # a page at a time: a plan may have tens of thousands of items
            page = await PublishItem.filter(plan_id=plan.id, id__gt=last).order_by("id").limit(500)
            for r in page:
                writer.writerow((
                    relay.to_base64("PublishItem", r.id), r.action.value, r.status.value,
                    r.target_product_external_id or "", r.variant_external_id or "", r.image_external_id,
                    r.before_image_id or "", r.after_image_id or "", r.restored_image_id or "",
                    r.finished_at.isoformat() if r.finished_at else "",
                    r.rolled_back_at.isoformat() if r.rolled_back_at else "", _cell(r.error)))
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            if len(page) < 500:
                return
            last = page[-1].id

    filename = f"publish-plan-{plan.id}-log.csv"
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": f'attachment; filename="{filename}"'})


def routes() -> list[Route]:
    return [
        Route("/publishing/plans/{plan_id}/log.csv", log_csv, methods=["GET"]),
    ]
