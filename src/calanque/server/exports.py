"""``GET /v1/threads/{id}/export``: a thread as Markdown or a standalone HTML page (the
thread's owner only, as for every thread route)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from calanque.export.document import thread_export
from calanque.export.html import CSP
from calanque.export.render import render
from calanque.server.api import authenticate, caller_of, services
from calanque.server.errors import RequestError

router = APIRouter(prefix="/v1", dependencies=[Depends(authenticate)], tags=["threads"])
MEDIA_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


@router.get("/threads/{thread_id}/export", response_class=Response)
async def export_thread(
    thread_id: str, request: Request, format: Literal["md", "html"] = Query("md")
) -> Response:
    """The thread with its citations (quotes, text-fragment links, consent status) and the
    AI-generated label, as a file to download."""
    svc = services(request)
    scope = caller_of(request).thread_scope()
    if not await run_in_threadpool(svc.catalog.threads.exists, thread_id, scope):
        raise RequestError(
            f"no thread {thread_id!r}: list them at GET /v1/threads.", status=404, kind="not_found"
        )
    thread = await run_in_threadpool(thread_export, svc.catalog, thread_id)
    headers = {
        "Content-Disposition": f'attachment; filename="thread-{thread_id[:36]}.{format}"',
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
    }
    return Response(render(thread, format), media_type=MEDIA_TYPES[format], headers=headers)
