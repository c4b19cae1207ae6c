"""Step 10 of docs/architecture.md: the HTTP API (OpenAI/Sonar-compatible) and the web pages.

``create_app(settings, catalog=None)`` builds the FastAPI application; ``calanque serve``
runs it with uvicorn.
"""

from __future__ import annotations

from calanque.server.app import create_app

__all__ = ["create_app"]
