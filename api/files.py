"""GET /files/<key>?exp=&sig= — a blob behind a signed, expiring link
(core.storage.signing). The signature is the permission: the GraphQL field that
handed out the link checked who may see the image. An S3 store answers with a
redirect to its own presigned URL (the bytes never pass through Pixport); the local
folder is served from here."""

from __future__ import annotations

import mimetypes
import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core import runtime
from core.storage.blobs import BlobNotFound, check_key
from core.storage.signing import verify


async def serve_file(request: Request) -> Response:
    rt = runtime.current()
    key = request.path_params["key"]
    exp, sig = request.query_params.get("exp"), request.query_params.get("sig")
    try:
        check_key(key)
    except BlobNotFound:
        return Response("Not found.", status_code=404)
    if not verify(rt.settings.signing_key, key, exp, sig):
        return Response("This link is not valid or has expired.", status_code=403)
    left = max(1, int(exp) - int(time.time()))
    presigned = rt.blobs.presigned_url(key, left)
    if presigned is not None:
        return RedirectResponse(presigned, status_code=302, headers={"Cache-Control": "private, no-store"})
    try:
        data = await rt.blobs.get(key)
    except BlobNotFound:
        return Response("Not found.", status_code=404)
    return Response(data, media_type=mimetypes.guess_type(key)[0] or "application/octet-stream",
                    headers={"Cache-Control": f"private, max-age={left}, immutable",
                             "X-Content-Type-Options": "nosniff"})
