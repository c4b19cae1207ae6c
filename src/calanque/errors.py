"""Calanque's exceptions.

Every error raised by Calanque derives from :class:`CalanqueError` and says
what was wrong and how to fix it::

    CalanqueError
    ├── ConfigError              bad setting value, unknown key
    ├── CatalogError             database unreachable, migration needed, integrity
    │   └── StorageFullError     the disk holding the catalog or index is full
    ├── SourceError              a source cannot be added (bad URL, forbidden address, path)
    ├── CollectError
    │   ├── FetchError           network, timeout, too large, bad status (carries ``kind``)
    │   ├── ConsentRefused       robots.txt or a rights reservation forbids the page
    │   └── SearchProviderError  a web search provider failed (carries ``provider``, ``kind``)
    ├── ExtractError             unreadable or unsupported content (carries ``kind``)
    ├── IndexBackendError
    │   └── IndexMismatchError   the index was built by another embedder: run `calanque reindex`
    ├── ModelError               an embedder or LLM backend failed or is misconfigured
    ├── AnswerError
    └── AuthError                missing, unknown or revoked API key; rate limited
"""

from __future__ import annotations


class CalanqueError(Exception):
    """Root of every Calanque error."""


class ConfigError(CalanqueError):
    pass


class CatalogError(CalanqueError):
    pass


class StorageFullError(CatalogError):
    pass


class SourceError(CalanqueError):
    pass


class CollectError(CalanqueError):
    pass


class FetchError(CollectError):
    """A page could not be fetched. ``kind`` is a short stable label for summaries."""

    def __init__(self, message: str, *, url: str = "", kind: str = "network") -> None:
        super().__init__(message)
        self.url = url
        self.kind = kind


class ConsentRefused(CollectError):
    def __init__(self, message: str, *, url: str = "", signal: str = "", rule: str = "") -> None:
        super().__init__(message)
        self.url = url
        self.signal = signal
        self.rule = rule


class ExtractError(CalanqueError):
    def __init__(self, message: str, *, url: str = "", kind: str = "extract") -> None:
        super().__init__(message)
        self.url = url
        self.kind = kind


class IndexBackendError(CalanqueError):
    pass


class IndexMismatchError(IndexBackendError):
    pass


class ModelError(CalanqueError):
    pass


class AnswerError(CalanqueError):
    pass


class AuthError(CalanqueError):
    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class SearchProviderError(CollectError):
    """A web search provider failed; ``kind`` is timeout, http-429, not-json, bad-json..."""

    def __init__(self, message: str, *, provider: str, kind: str) -> None:
        super().__init__(message)
        self.provider = provider
        self.kind = kind
