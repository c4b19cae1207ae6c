"""A source's :class:`~calanque.types.Scope` from what the operator asked for."""

from __future__ import annotations

from urllib.parse import urlsplit

from calanque.collect.urls import check_scope_patterns, normalize_url, seed_folder
from calanque.errors import SourceError
from calanque.types import Scope


def build_scope(
    url: str,
    kind: str,
    mode: str,
    prefix: str,
    include: list[str],
    exclude: list[str],
    max_depth: int,
    max_pages: int,
) -> Scope:
    """The scope of a new source (``calanque add``, ``POST /v1/sources``)."""
    if kind == "folder":
        return Scope(mode="any", max_depth=max_depth, max_pages=max_pages)
    if mode not in ("prefix", "host", "any"):
        raise SourceError(f"--scope must be prefix, host or any, not {mode!r}.")
    if kind in ("sitemap", "feed") and mode == "prefix" and not prefix:
        mode = "host"
    scope = Scope(
        mode=mode,  # type: ignore[arg-type]
        prefix=normalize_url(prefix) if prefix else seed_folder(url),
        host=urlsplit(url).netloc,
        include=tuple(include),
        exclude=tuple(exclude),
        max_depth=max_depth,
        max_pages=max_pages,
    )
    check_scope_patterns(scope)  # at `add`, not as every URL's "bad-url" in the crawl
    return scope
