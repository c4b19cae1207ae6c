"""The FastAPI application: :func:`create_app` wires the services (``server/services.py``,
over the parts :mod:`calanque.runtime` builds) to the routes (``server/api.py``,
``server/web.py``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from calanque import __version__
from calanque.catalog import Catalog
from calanque.collect.signing import bot_keys
from calanque.config import Settings, load_settings
from calanque.embed import Embedder
from calanque.server import api, exports, spaces, web
from calanque.server.auth import BodyLimitMiddleware
from calanque.server.bot import bot_router, public_host_names
from calanque.server.errors import install_error_handlers
from calanque.server.hosts import BrowserGuardMiddleware
from calanque.server.services import Services, serving_runtime


def create_app(
    settings: Settings, catalog: Catalog | None = None, *, embedder: Embedder | None = None
) -> FastAPI:
    """The API and the web page over ``settings`` (the catalog and embedder opened when not given)."""
    services = Services(*serving_runtime(settings, catalog, embedder))
    bot_keys(settings)  # the crawler's key, made on first use, and its public directory

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services.query_log is not None:
            await asyncio.to_thread(services.query_log.purge)
        # Chunks left without vectors (`calanque crawl --dense later`, or a pass that was
        # stopped) are embedded in the background while the server answers.
        dense = asyncio.get_running_loop().run_in_executor(None, services.start_dense_quietly)
        yield
        dense.cancel()
        services.close()  # and the catalog, when the runtime opened it

    app = FastAPI(
        title="Calanque",
        version=__version__,
        description="A self-hosted answer engine: OpenAI/Sonar-compatible chat completions "
        "with verified citations, search, sources and threads.",
        lifespan=lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(api.health_router)
    app.include_router(api.router)
    app.include_router(spaces.router)
    app.include_router(exports.router)
    app.include_router(bot_router(settings))
    web.mount(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.server.max_request_bytes)
    app.add_middleware(
        BrowserGuardMiddleware,
        bound_host=settings.server.host,
        allowed_hosts=(*settings.server.allowed_hosts, *public_host_names(settings)),
    )
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (several workers): settings from the environment."""
    return create_app(load_settings())
