"""HTTP plumbing shared by the routers: the error mapping, sessions and authentication."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import AuthenticationFailed, CandorError, InvalidRequest, PermissionDenied
from app.state import AppState
from app.tenants.keys import Principal, Role, authenticate

log = logging.getLogger(__name__)


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "req_unknown"))


def error_response(request: Request, exc: CandorError) -> JSONResponse:
    body = {
        "error": {"message": exc.message, "type": exc.error_type, "code": exc.code, "param": exc.param},
        "request_id": request_id(request),
    }
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    async def on_candor_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CandorError)
        return error_response(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        # Pydantic's messages quote the offending input; only locations and messages are kept.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()) if p != 'body') or 'body'}: {err.get('msg')}"
            for err in exc.errors()[:5]
        )
        return error_response(request, InvalidRequest(problems or "invalid request"))

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error = CandorError(str(exc.detail), code="http_error")
        error.status_code = exc.status_code
        error.error_type = "invalid_request_error" if exc.status_code < 500 else "internal_error"
        return error_response(request, error)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return error_response(request, CandorError("internal error; quote the request id to support"))

    app.add_exception_handler(CandorError, on_candor_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)


async def app_state(request: Request) -> AppState:
    # async, though it awaits nothing: FastAPI runs a plain `def` dependency in its thread
    # pool, a thread hop on every request for one attribute read.
    state: AppState = request.app.state.candor
    return state


StateDep = Annotated[AppState, Depends(app_state)]


async def db_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    async with state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(db_session)]


async def current_principal(request: Request, state: StateDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("missing API key: send 'Authorization: Bearer <key>'")
    presented = token.strip()
    cached = state.key_cache.get(presented)
    if cached is not None:
        return cached
    async with state.sessionmaker() as session:
        principal = await authenticate(session=session, presented=presented)
    state.key_cache.put(presented, principal)
    return principal


def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that admits only keys with one of ``roles``."""

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise PermissionDenied(
                f"this endpoint needs a key with role {' or '.join(r.value for r in roles)}"
            )
        return principal

    return dependency


ChatPrincipal = Annotated[Principal, Depends(require(Role.CHAT))]
AuditorPrincipal = Annotated[Principal, Depends(require(Role.AUDITOR))]
AdminPrincipal = Annotated[Principal, Depends(require(Role.ADMIN))]
AnyPrincipal = Annotated[Principal, Depends(current_principal)]
