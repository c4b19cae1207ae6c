"""Web answers: search providers propose pages; Calanque fetches each one itself, with the
crawler's consent checks, and reads only those whose publishers allow it (docs/web.md)."""

from calanque.web.fetch import FetchedPage, PageReader
from calanque.web.providers import (
    BraveProvider,
    CalanqueProvider,
    ProviderFailure,
    SearchProvider,
    SearxNGProvider,
    WebSearch,
    configured_providers,
    search_all,
)
from calanque.web.search import SCOPES, Scope, WebSearcher, default_scope

__all__ = [
    "SCOPES",
    "BraveProvider",
    "CalanqueProvider",
    "FetchedPage",
    "PageReader",
    "ProviderFailure",
    "Scope",
    "SearchProvider",
    "SearxNGProvider",
    "WebSearch",
    "WebSearcher",
    "configured_providers",
    "default_scope",
    "search_all",
]
