"""``/v1/spaces``: list them and read one with its sources (any key; limited keys see
their own), create, delete and change their sources (admin keys)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from calanque.catalog.spaces import Space, space_name, unknown_space
from calanque.server.api import ADMIN_ONLY, Domain, Language, Recency, authenticate, caller_of
from calanque.server.api import services as services_of
from calanque.server.scoping import allowed_spaces

router = APIRouter(prefix="/v1", dependencies=[Depends(authenticate)], tags=["spaces"])
Name = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class SpaceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    language: Language | None = None
    domains: list[Domain] = Field(default_factory=list, max_length=20)
    recency: Recency | None = None
    instructions: Annotated[str, StringConstraints(max_length=4000)] = Field(
        "", description="For generative writers, after the rules (which always win)."
    )
    source_ids: list[int] = Field(default_factory=list, max_length=1000)


class SpaceSourceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source_id: int


@router.get("/spaces")
def list_spaces(request: Request) -> dict[str, Any]:
    """The spaces the caller may use (all of them for an unlimited key)."""
    svc = services_of(request)
    allowed = allowed_spaces(svc, caller_of(request))
    return {"data": [s.as_json() for s in svc.catalog.spaces.list(allowed)]}


@router.get("/spaces/{name}")
def get_space(name: Name, request: Request) -> dict[str, Any]:
    """One space (its name or id) and its sources: what the web page's space panel shows.
    A space the caller's key may not use gets the same 404 as a missing one."""
    svc = services_of(request)
    allowed = allowed_spaces(svc, caller_of(request))
    wanted = space_name(name)
    if allowed is not None and wanted not in allowed:
        raise unknown_space(wanted)
    space = svc.catalog.spaces.get(wanted)
    pages = svc.catalog.page_counts()
    sources = [
        {"id": s.id, "kind": s.kind, "url": s.url, "pages": pages.get(s.id, 0)}
        for s in svc.catalog.list_sources()
        if s.id in space.source_ids
    ]
    return space.as_json() | {"sources": sources}


@router.post("/spaces", status_code=201, dependencies=ADMIN_ONLY)
def create_space(body: SpaceRequest, request: Request) -> dict[str, Any]:
    spaces = services_of(request).catalog.spaces
    space = Space(
        name=body.name,
        description=body.description,
        language=(body.language or "").lower(),
        domains=tuple(body.domains),
        recency=body.recency or "",
        instructions=body.instructions,
    )
    made = spaces.create(space)
    for source_id in body.source_ids:
        made = spaces.add_source(made.name, source_id)
    return made.as_json()


@router.delete("/spaces/{name}", dependencies=ADMIN_ONLY)
def delete_space(name: Name, request: Request) -> dict[str, Any]:
    """Delete a space (its sources stay)."""
    services_of(request).catalog.spaces.delete(name)
    return {"deleted": name}


@router.post("/spaces/{name}/sources", dependencies=ADMIN_ONLY)
def add_space_source(name: Name, body: SpaceSourceRequest, request: Request) -> dict[str, Any]:
    return services_of(request).catalog.spaces.add_source(name, body.source_id).as_json()


@router.delete("/spaces/{name}/sources/{source_id}", dependencies=ADMIN_ONLY)
def remove_space_source(name: Name, source_id: int, request: Request) -> dict[str, Any]:
    return services_of(request).catalog.spaces.remove_source(name, source_id).as_json()
