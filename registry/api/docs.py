"""``GET /docs``: the API's Swagger UI, served from this process, never from a CDN.

FastAPI's own ``/docs`` loads Swagger UI from a CDN and is blank offline (or behind a firewall
that blocks it). Swagger UI's files come from the ``swagger-ui-bundle-v2`` package instead
(pinned in pyproject.toml), mounted at :data:`ASSETS_PATH`; the page's one inline script is
allowed by its hash (:func:`registry.api.headers.docs_csp`).
"""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Where the documentation page is.
DOCS_PATH: Final = "/docs"
#: Where Swagger UI's scripts, stylesheet and icons are served.
ASSETS_PATH: Final = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """Serve the Swagger UI page of ``app``'s OpenAPI document and its assets."""
    from swagger_ui_bundle import swagger_ui_path

    title = f"{app.title} — API"

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            # No badge from the public validator: the page asks nothing of other hosts.
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.mount(ASSETS_PATH, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
