"""Which sources a search or an answer may reach: the caller's spaces and the request's.

A key limited to spaces (``calanque keys create NAME --space S``) reaches only their
sources: without ``space`` the union of its spaces, with one outside its list a 404 (the
same as a space that does not exist). The operator and unlimited keys reach every source.
"""

from __future__ import annotations

from calanque.catalog.spaces import SPACE_PREFIX, space_name
from calanque.index.spaces import Narrowed, choose_spaces, narrow, scope_within
from calanque.server.auth import Caller
from calanque.server.errors import RequestError
from calanque.server.services import Services
from calanque.types import SearchFilters


def allowed_spaces(svc: Services, caller: Caller) -> tuple[str, ...] | None:
    """The spaces ``caller`` is limited to; None when it may reach every source."""
    if caller.is_operator:
        return None
    return svc.catalog.spaces.of_key(caller.name)


def split_model(space: str | None, model: str) -> tuple[str | None, str]:
    """(space, model): a model named ``space:<name>`` picks that space and the default writer."""
    if not model.startswith(SPACE_PREFIX):
        return space, model
    if space and space_name(space) != space_name(model):
        raise RequestError(
            f"model {model!r} and space {space!r} name two spaces: send only one of them."
        )
    return model, ""


def narrow_for(
    svc: Services,
    caller: Caller,
    space: str | None,
    requested: SearchFilters,
    asked_scope: str | None,
    default_scope: str,
) -> tuple[Narrowed, str]:
    """The filters (and writer instructions) of a request, and the answer scope."""
    chosen = choose_spaces(svc.catalog.spaces, space, allowed_spaces(svc, caller))
    narrowed = narrow(chosen, requested)
    return narrowed, scope_within(narrowed, asked_scope, default_scope)
