"""
``/.well-known/jwks.json``: the public keys that verify this site's tokens.

Another service fetches this set and verifies tokens by their ``kid`` with no
secret of the site's. Public halves only; empty when tokens are signed with a
shared secret (HS256), which must never leave the site.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from accounts.keys import public_jwks

# Short, because a rotation signs with the new key at once: a verifier that meets an unknown
# kid refetches, and a shared cache on the way may serve this set that long after a rotation.
JWKS_MAX_AGE_SECONDS = 60


@require_safe
def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(public_jwks())
    patch_cache_control(response, public=True, max_age=JWKS_MAX_AGE_SECONDS)
    return response
