"""Serves the demo widget and the console: static files only, from ``app/web/static``.

Every response carries a strict Content-Security-Policy (no inline script or style, no
other origin), so a page can talk to nothing but this Candor. Files are revalidated on
every load (``no-cache`` plus an ETag): there is no build step to put hashes in names, and
a stale console after an upgrade would be worse than a 304. The widget's scripts may be
loaded by a customer's site on another origin, so scripts are served with CORS and CORP
headers that allow it; the API they call decides on its own who may call it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.errors import NotFound

STATIC_ROOT = Path(__file__).parent / "static"
# URL prefix -> folder under STATIC_ROOT
SECTIONS = {"demo": "demo", "console": "console", "web": "shared"}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}
CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


@router.api_route("/demo", methods=["GET", "HEAD"])
@router.api_route("/console", methods=["GET", "HEAD"])
async def add_slash(request: Request) -> RedirectResponse:
    return RedirectResponse(request.url.path + "/", status_code=308)


@router.api_route("/demo/", methods=["GET", "HEAD"])
async def demo_page(request: Request) -> Response:
    return _serve(request, "demo", "index.html")


@router.api_route("/console/", methods=["GET", "HEAD"])
async def console_page(request: Request) -> Response:
    return _serve(request, "console", "index.html")


@router.api_route("/demo/{name:path}", methods=["GET", "HEAD"])
async def demo_file(name: str, request: Request) -> Response:
    return _serve(request, "demo", name)


@router.api_route("/console/{name:path}", methods=["GET", "HEAD"])
async def console_file(name: str, request: Request) -> Response:
    return _serve(request, "console", name)


@router.api_route("/web/{name:path}", methods=["GET", "HEAD"])
async def shared_file(name: str, request: Request) -> Response:
    return _serve(request, "web", name)


def _serve(request: Request, section: str, name: str) -> Response:
    body, etag, content_type = _load(SECTIONS[section], name)
    headers = {**SECURITY_HEADERS, "ETag": etag}
    if content_type.startswith("text/javascript"):
        # The embeddable widget is a script on the customer's own site.
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=content_type, headers=headers)


@lru_cache(maxsize=128)
def _load(folder: str, name: str) -> tuple[bytes, str, str]:
    """The file's bytes, ETag and content type; the files ship with the package and do not
    change while the process runs, so each is read once."""
    root = (STATIC_ROOT / folder).resolve()
    path = (root / name).resolve()
    content_type = CONTENT_TYPES.get(path.suffix)
    # Only known kinds of file, and nothing outside the section's folder (no "../").
    if content_type is None or not path.is_relative_to(root) or not path.is_file():
        raise NotFound("no such page")
    body = path.read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:16]}"', content_type
