"""The emulator's ASGI application: routes, the gateway middleware and shared state."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import account
from .chat import chat_completions
from .embeddings import embeddings
from .envelopes import openai_error
from .framing import RelayFraming
from .media import media_routes
from .middleware import GatewayMiddleware
from .rerank import rerank
from .responses import responses
from .state import DEFAULT_KEY, EmulatorState


async def _health(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def _requests(request: Request) -> Response:
    log = request.app.state.emulator.requests(request.query_params.get("path"))
    return JSONResponse({"requests": log, "count": len(log)})


async def _reset(request: Request) -> Response:
    request.app.state.emulator.reset()
    return JSONResponse({"ok": True})


async def _not_implemented(request: Request) -> Response:
    return openai_error(request, 501, "API not implemented", code="api_not_implemented")


async def _not_found(request: Request, exc: Exception) -> Response:
    return openai_error(request, 404, f"Invalid URL ({request.method} {request.url.path})",
                        type_="invalid_request_error")


def _routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route("/_emulator/health", _health),
        Route("/_emulator/requests", _requests),
        Route("/_emulator/reset", _reset, methods=["POST"]),
        Route("/v1/models", account.list_models),
        Route("/v1/models/{model:path}", account.retrieve_model),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/responses", responses, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/v1/rerank", rerank, methods=["POST"]),
        Route("/api/usage/token/", account.token_usage),
        Route("/api/usage/token", account.token_usage),
        Route("/v1/images/variations", _not_implemented, methods=["POST"]),
        Route("/v1/files", _not_implemented, methods=["GET", "POST"]),
        Route("/v1/fine-tunes", _not_implemented, methods=["GET", "POST"]),
    ]
    for prefix in ("", "/v1"):
        routes += [
            Route(f"{prefix}/dashboard/billing/subscription", account.billing_subscription),
            Route(f"{prefix}/dashboard/billing/usage", account.billing_usage),
        ]
    return routes + media_routes()


def create_app(
    *, keys: Sequence[str] = (DEFAULT_KEY,), time_scale: float = 1.0, ping_interval: float = 0.0,
    rate_limit: int | None = None, rate_window: float = 60.0,
) -> Starlette:
    """A fresh emulator app (its own keys, request log, fault scenarios and request limit)."""
    state = EmulatorState(keys=tuple(keys), time_scale=time_scale, ping_interval=ping_interval,
                          rate_limit=rate_limit, rate_window=rate_window)
    app = Starlette(routes=_routes(),
                    middleware=[Middleware(RelayFraming),
                                Middleware(GatewayMiddleware, state=state)],
                    exception_handlers={404: _not_found, 405: _not_found})
    app.state.emulator = state
    return app
