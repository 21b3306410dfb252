"""A real OpenID Connect provider for the tests, served on loopback.

Built on the same library as the relying party (Authlib: joserfc signs RS256 ID tokens, its
RFC 7636 helper checks PKCE). It serves discovery, JWKS, authorize (auto-approving ``user``,
or answering ``deny`` as an error) and token endpoints, and can misbehave on purpose:
``misbehave`` is one of ``tampered_signature``, ``wrong_audience``, ``wrong_nonce``, ``expired``.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

MISBEHAVIOURS = ("tampered_signature", "wrong_audience", "wrong_nonce", "expired")


@dataclass
class IdpUser:
    email: str
    groups: list[str]
    email_verified: bool | None = True


@dataclass
class TestIdp:
    """The provider's state; the tests change ``user``, ``misbehave`` and ``deny`` between sign-ins."""

    __test__ = False  # not a test class, despite its name

    client_id: str = "outlay-web"
    client_secret: str = "idp-client-secret-for-tests"
    user: IdpUser | None = None
    misbehave: str | None = None
    deny: str | None = None
    url: str = ""
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(
            2048, {"kid": "test-key", "alg": "RS256", "use": "sig"}
        )
    )
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Every token request's PKCE outcome, to show the verifier was checked.
    pkce_checked: list[bool] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
            }
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        problems = [
            name
            for name, ok in (
                ("client_id", q.get("client_id") == self.client_id),
                ("response_type", q.get("response_type") == "code"),
                ("scope", "openid" in q.get("scope", "").split()),
                ("code_challenge_method", q.get("code_challenge_method") == "S256"),
                ("code_challenge", bool(q.get("code_challenge"))),
                ("nonce", bool(q.get("nonce"))),
                ("redirect_uri", q.get("redirect_uri", "").endswith("/auth/oidc/callback")),
            )
            if not ok
        ]
        if problems:
            return PlainTextResponse(f"bad authorization request: {problems[0]}", status_code=400)
        back = {"state": q.get("state", "")}
        if self.deny or self.user is None:
            back |= {
                "error": self.deny or "access_denied",
                "error_description": "the user is not assigned to this application",
            }
        else:
            code = secrets.token_urlsafe(24)
            self.codes[code] = {
                "user": self.user,
                "nonce": q["nonce"],
                "challenge": q["code_challenge"],
                "redirect_uri": q["redirect_uri"],
            }
            back["code"] = code
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode(back)}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if not self._client_ok(request, form.get("client_secret")):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(str(form.get("code", "")), None)  # a code is good once
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "unknown code"}, status_code=400
            )
        verified = compare_s256_code_challenge(
            str(form.get("code_verifier", "")), grant["challenge"]
        )
        self.pkce_checked.append(verified)
        if not verified:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "PKCE verifier mismatch"},
                status_code=400,
            )
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.id_token(grant["user"], grant["nonce"]),
            }
        )

    def _client_ok(self, request: Request, posted_secret: object) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            client, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            return client == self.client_id and secret == self.client_secret
        return posted_secret == self.client_secret

    def id_token(self, user: IdpUser, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url, "sub": f"sub-{user.email}", "aud": self.client_id, "iat": now,
            "exp": now + 300, "nonce": nonce, "email": user.email, "groups": list(user.groups),
        }  # fmt: skip
        if user.email_verified is not None:
            claims["email_verified"] = user.email_verified
        if self.misbehave == "wrong_audience":
            claims["aud"] = "another-application"
        elif self.misbehave == "wrong_nonce":
            claims["nonce"] = "a-nonce-from-another-sign-in"
        elif self.misbehave == "expired":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        if self.misbehave == "tampered_signature":
            # Grant an extra group after signing: the signature no longer covers the payload.
            header, _, signature = token.split(".")
            claims["groups"] = [*user.groups, "outlay-owners"]
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            token = f"{header}.{body}.{signature}"
        return token


@contextmanager
def serving(app: Any, sock: socket.socket, name: str) -> Iterator[None]:
    """Serve an ASGI app on an already bound socket in a thread, until the block ends."""
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", http="h11", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, f"{name} did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def free_socket() -> tuple[socket.socket, str]:
    sock = socket.create_server(("127.0.0.1", 0))
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def running_idp(idp: TestIdp | None = None) -> Iterator[TestIdp]:
    idp = idp or TestIdp()
    sock, idp.url = free_socket()
    with serving(idp.app(), sock, "test-idp"):
        yield idp
