"""Runs oidc-provider-mock (the pinned PyPI package, a real OpenID Connect provider) for the
browser suite: `python tests/browser/oidc_provider.py --port N` takes the package's own options.

One setting differs from the package's defaults: its token endpoint also takes public clients
(`token_endpoint_auth_method` `none`: a client id and no secret), as the console is one and
proves itself with PKCE instead. Version 0.3 of the package allows only clients with a secret
there (0.4 allows `none` too, but needs Python 3.12; this machine has 3.11). Nothing else of
the provider is changed: its authorization form, codes, ID tokens (RS256, with the request's
nonce and the claims set through `PUT /users/<sub>`), discovery and JWKS are its own."""

from oidc_provider_mock import _app
from oidc_provider_mock.__main__ import run

_app.AuthorizationCodeGrant.TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

if __name__ == "__main__":
    run()
