"""The OpenID Connect authorization code flow with PKCE, as a relying party.

Discovery, the authorization request, the code exchange and the ID-token check; every HTTP
call goes through the ``httpx.Client`` the caller passes (with its timeouts). The JWT work is
joserfc's (Authlib's JOSE library): signature against the provider's JWKS, then issuer,
audience, expiry, issue time and nonce. Every failure is one ``SignInRefused`` line that
names what failed, or an ``UnavailableError`` when the provider cannot be reached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from outlay.errors import SignInRefused, UnavailableError

if TYPE_CHECKING:
    import httpx
    from joserfc.jwt import Token

DISCOVERY_PATH = "/.well-known/openid-configuration"
CALLBACK_PATH = "/auth/oidc/callback"
#: Asymmetric algorithms only: "none" and the HMAC family are never accepted.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
#: Clock skew tolerated between outlay and the provider.
LEEWAY_S = 60


@dataclass(frozen=True)
class Provider:
    """What discovery says about the identity provider."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    auth_methods: tuple[str, ...]
    algorithms: tuple[str, ...]


def _get_json(http: httpx.Client, url: str, what: str) -> dict[str, Any]:
    import httpx

    try:
        response = http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise UnavailableError(
            f"the identity provider's {what} at {url} is unreachable ({exc})"
        ) from None
    if response.status_code != 200:
        raise UnavailableError(
            f"the identity provider's {what} at {url} answered HTTP {response.status_code}"
        )
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise UnavailableError(f"the identity provider's {what} at {url} is not a JSON object")
    return data


def discover(http: httpx.Client, issuer: str) -> Provider:
    """Read ``<issuer>/.well-known/openid-configuration``; its issuer must be ours."""
    url = issuer.rstrip("/") + DISCOVERY_PATH
    doc = _get_json(http, url, "discovery document")
    missing = [
        k for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if not isinstance(doc.get(k), str)
    ]  # fmt: skip
    if missing:
        raise UnavailableError(f"the discovery document at {url} lacks {missing[0]}")
    if doc["issuer"] != issuer:
        raise UnavailableError(
            f"the discovery document at {url} names issuer {doc['issuer']!r}, not {issuer!r}; "
            "set OUTLAY_OIDC_ISSUER to exactly the provider's issuer"
        )
    offered = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
    return Provider(
        issuer=doc["issuer"],
        authorization_endpoint=doc["authorization_endpoint"],
        token_endpoint=doc["token_endpoint"],
        jwks_uri=doc["jwks_uri"],
        auth_methods=tuple(
            doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        ),
        algorithms=tuple(a for a in ALGORITHMS if a in offered) or ("RS256",),
    )


def fetch_jwks(http: httpx.Client, provider: Provider) -> dict[str, Any]:
    keys = _get_json(http, provider.jwks_uri, "key set (JWKS)")
    if not isinstance(keys.get("keys"), list) or not keys["keys"]:
        raise UnavailableError(f"the key set at {provider.jwks_uri} holds no keys")
    return keys


def new_verifier() -> str:
    """A PKCE code verifier (RFC 7636: 43 to 128 characters of the unreserved set)."""
    from authlib.common.security import generate_token

    return str(generate_token(64))


def authorize_url(
    provider: Provider, *, client_id: str, redirect_uri: str, scopes: str, state: str,
    nonce: str, verifier: str,
) -> str:  # fmt: skip
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    return provider.authorization_endpoint + separator + urlencode(query)


def exchange_code(
    http: httpx.Client, provider: Provider, *, client_id: str, client_secret: str | None,
    code: str, redirect_uri: str, verifier: str,
) -> str:  # fmt: skip
    """The ID token the provider gives for the code (and the verifier that proves it is ours)."""
    import httpx

    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier, "client_id": client_id}  # fmt: skip
    headers = {"Accept": "application/json"}
    if client_secret is not None:
        if "client_secret_basic" in provider.auth_methods:
            # RFC 6749 2.3.1: both parts are form-encoded before the Basic scheme.
            pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
            headers["Authorization"] = "Basic " + _b64(pair)
        else:
            form["client_secret"] = client_secret
    try:
        response = http.post(provider.token_endpoint, data=form, headers=headers)
    except httpx.HTTPError as exc:
        raise UnavailableError(
            f"the identity provider's token endpoint is unreachable ({exc})"
        ) from None
    body = _json_or_empty(response)
    if response.status_code != 200:
        error = body.get("error") or f"HTTP {response.status_code}"
        detail = f" ({body['error_description']})" if body.get("error_description") else ""
        raise SignInRefused(f"the identity provider refused the code exchange: {error}{detail}")
    token = body.get("id_token")
    if not isinstance(token, str):
        raise SignInRefused("the identity provider's token answer has no ID token (scope openid?)")
    return token


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except (ValueError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def verify_signature(id_token: str, jwks: dict[str, Any], algorithms: tuple[str, ...]) -> Token:
    """The token's header and claims if its signature verifies with a key of the set."""
    from joserfc import jwt
    from joserfc.errors import BadSignatureError, JoseError
    from joserfc.jwk import KeySet

    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as exc:
        raise UnavailableError(f"the identity provider's key set cannot be read ({exc})") from None
    try:
        return jwt.decode(id_token, keys, algorithms=list(algorithms))
    except BadSignatureError:
        raise SignInRefused(
            "the ID token's signature does not verify with the provider's keys (JWKS)"
        ) from None
    except (JoseError, ValueError) as exc:
        raise SignInRefused(f"the ID token cannot be verified: {exc}") from None


def check_claims(
    claims: dict[str, Any], *, issuer: str, client_id: str, nonce: str, now: datetime
) -> None:
    """Issuer, audience (and azp), expiry, issue time and nonce, each named when wrong."""
    from joserfc.errors import ExpiredTokenError, InvalidClaimError, MissingClaimError
    from joserfc.jwt import JWTClaimsRegistry

    registry = JWTClaimsRegistry(
        now=int(now.replace(tzinfo=UTC).timestamp()), leeway=LEEWAY_S,
        iss={"essential": True, "value": issuer}, aud={"essential": True, "value": client_id},
        exp={"essential": True}, iat={"essential": True}, sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )  # fmt: skip
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        when = datetime.fromtimestamp(float(claims["exp"]), UTC).strftime("%Y-%m-%d %H:%M:%S")
        raise SignInRefused(f"the ID token expired at {when} UTC; sign in again") from None
    except MissingClaimError as exc:
        raise SignInRefused(f"the ID token lacks the {exc.claim} claim") from None
    except InvalidClaimError as exc:
        raise SignInRefused(_claim_problem(exc.claim, claims, issuer, client_id)) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SignInRefused(f"the ID token's authorized party (azp) is not {client_id!r}")


def _claim_problem(claim: str, claims: dict[str, Any], issuer: str, client_id: str) -> str:
    if claim == "aud":
        return f"the ID token's audience {claims.get('aud')!r} is not this client ({client_id!r})"
    if claim == "iss":
        return f"the ID token's issuer {claims.get('iss')!r} is not {issuer!r}"
    if claim == "nonce":
        return "the ID token's nonce does not match this sign-in (a replayed or foreign token)"
    if claim == "iat":
        return "the ID token's issue time (iat) is in the future or not a time"
    return f"the ID token's {claim} claim is not valid"
