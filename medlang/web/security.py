"""Who may talk to the app: loopback freely, anything else only with the token.

The app binds to 127.0.0.1 by default. Serving on another address needs a token
(``mlc ui --token``), and then every request must carry it: ``?token=...`` once
(which sets a same-site, HTTP-only cookie for the pages that follow) or an
``Authorization: Bearer ...`` header for tools.
"""

from __future__ import annotations

import hmac
import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "mlc_ui_token"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class TokenGate:
    """ASGI middleware: refuse every request that does not present the token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse, RedirectResponse

        request = Request(scope)
        presented = request.query_params.get("token")
        if presented is not None and self._matches(presented):
            # Trade the token in the URL for a cookie, so it leaves the address bar.
            params = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.replace(query="&".join(f"{k}={v}" for k, v in params))
            response = RedirectResponse(str(target), status_code=303)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        header = request.headers.get("authorization", "")
        bearer = header[7:] if header.lower().startswith("bearer ") else None
        for candidate in (bearer, request.cookies.get(COOKIE)):
            if candidate is not None and self._matches(candidate):
                await self.app(scope, receive, send)
                return
        await PlainTextResponse("a token is required", status_code=401)(scope, receive, send)

    def _matches(self, presented: str) -> bool:
        return hmac.compare_digest(presented.encode(), self.token.encode())
