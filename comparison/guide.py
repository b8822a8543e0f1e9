"""
The guide: how each flow works on this site, in our words, with the real
settings and source files one click away.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from rest_framework_simplejwt.settings import api_settings

from accounts.keys import token_sign
from comparison import selectors


@dataclass(frozen=True)
class GuidePage:
    slug: str
    title: str
    summary: str
    sources: tuple[str, ...]


PAGES = (
    GuidePage(
        "flows",
        "How each flow works here",
        "What travels with every request in each area, and what the server does with it.",
        ("config/settings.py", "accounts/middleware.py", "accounts/authentication.py"),
    ),
    GuidePage(
        "storage",
        "Where a browser should keep a token",
        "Page scripts can read localStorage but not an HttpOnly cookie. See for yourself.",
        ("accounts/views.py", "config/settings.py"),
    ),
    GuidePage(
        "refresh",
        "Short access, revocable refresh",
        "The pattern most JWT deployments end up with, and how this site guards it.",
        ("accounts/serializers.py", "accounts/services.py", "config/settings.py"),
    ),
    GuidePage(
        "roles",
        "When a role is removed",
        "Which lanes notice at once, which keep the old role, and for how long: measured.",
        ("accounts/lanes.py", "accounts/permissions.py", "comparison/role_drill.py"),
    ),
    GuidePage(
        "mistakes",
        "Common mistakes, tried live",
        "Anyone can read a payload; a forged or tampered token must be refused.",
        ("accounts/tokens.py", "accounts/authentication.py", "config/settings.py"),
    ),
    GuidePage(
        "decide",
        "Which one should you use?",
        "Three questions, one recommendation, and the measurements behind it.",
        ("comparison/selectors.py",),
    ),
)
PAGES_BY_SLUG = {page.slug: page for page in PAGES}
SOURCE_FILES = sorted({path for page in PAGES for path in page.sources})


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


EXAMPLE_AUDIENCE = "guide-example"


def _sample_token() -> dict:
    """
    Claims of a token signed with this site's key that opens nothing: its
    audience is one the API refuses (SimpleJWT would stamp the API's own
    audience, so PyJWT signs it), so publishing it hands out no access.
    """
    now = int(time.time())
    return {
        "token_type": "access",
        "exp": now + 300,
        "iat": now,
        "jti": secrets.token_hex(16),
        "user_id": "example",
        "username": "example",
        "aud": EXAMPLE_AUDIENCE,
        "iss": api_settings.ISSUER,
    }


def _mistakes_context() -> dict:
    claims = _sample_token()
    encoded = token_sign(claims)
    header, payload, signature = encoded.split(".")
    tampered_claims = {**claims, "user_id": "1", "username": "admin"}
    return {
        "token": encoded,
        "token_parts": (header, payload, signature),
        "decoded_payload": json.dumps(claims, indent=2),
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "tampered": f"{header}.{_b64(tampered_claims)}.{signature}",
    }


def _decide_context(request: HttpRequest) -> dict:
    answers = {
        name: request.GET.get(name) == "yes"
        for name in ("instant_revocation", "many_services", "non_browser")
    }
    answered = any(name in request.GET for name in answers)
    if not answered:
        recommendation = None
    elif answers["instant_revocation"] and not answers["many_services"]:
        recommendation = "sessions"
    elif answers["many_services"] and answers["instant_revocation"]:
        recommendation = "denylist"
    elif answers["many_services"] or answers["non_browser"]:
        recommendation = "jwt"
    else:
        recommendation = "sessions"
    return {"answers": answers, "recommendation": recommendation}


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "comparison/guide/index.html", {"pages": PAGES})


@require_GET
def page(request: HttpRequest, slug: str) -> HttpResponse:
    guide_page = PAGES_BY_SLUG.get(slug)
    if guide_page is None:
        raise Http404("No such guide page.")
    # Live traffic only, over accepted requests: what a reader's own visit would see.
    summaries = {figures.lane: figures for figures in selectors.lane_figures()}
    context = {
        "page": guide_page,
        "pages": PAGES,
        "summaries": summaries,
        "jwt": api_settings,
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "session_idle": settings.SESSION_COOKIE_AGE,
        "session_absolute": settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT,
        "access_cookie_name": settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME,
        "refresh_cookie_name": settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME,
        "refresh_cookie_path": settings.ACCOUNTS_JWT_REFRESH_COOKIE_PATH,
        "cookie_secure": settings.SESSION_COOKIE_SECURE,
        "sent_cookies": {name: len(value) for name, value in request.COOKIES.items()},
    }
    if slug == "mistakes":
        context.update(_mistakes_context())
    if slug == "decide":
        context.update(_decide_context(request))
    if slug == "roles":
        context["role_drill"] = selectors.latest_role_drill()
    return render(request, f"comparison/guide/{slug}.html", context)


@require_GET
def source(request: HttpRequest, path: str) -> HttpResponse:
    """One of the files the guide cites, as plain text with line numbers."""
    if path not in SOURCE_FILES:
        raise Http404("The guide does not cite that file.")
    text = (settings.BASE_DIR / path).read_text()
    return render(
        request,
        "comparison/guide/source.html",
        {"path": path, "lines": text.splitlines(), "pages": PAGES},
    )
