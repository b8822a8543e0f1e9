"""
Pages of both areas.

The session area (/session/) and the JWT area (/jwt/) show the same pages on
the same users; only the credential differs. Views stay thin: reads go
through selectors, writes through services.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings

from accounts import lanes, selectors, services, sign_outs
from accounts.authentication import JWTCookieAuthentication
from accounts.forms import parse_row_id
from accounts.models import User
from accounts.observers import Verdict, observe_auth
from accounts.outcomes import Outcome, refusal_code
from accounts.permissions import staff_required
from accounts.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from accounts.sign_outs import SignOutReason
from accounts.tokens import RefreshToken

# ------------------------------------------------------------------ session area


# Where a signed-in user is sent on at once: a ``next`` naming one of these would
# bounce the browser back (Django's LoginView raised ValueError, a 500, on the first bounce).
BOUNCING_VIEWS = frozenset({"accounts:session-login", "accounts:jwt-login", "accounts:jwt-refresh"})


def _bounces(url: str) -> bool:
    """Whether ``url`` is one of this site's pages that would send a signed-in user on again."""
    try:
        match = resolve(unquote(urlsplit(url).path))
    except Resolver404:
        return False
    return match.view_name in BOUNCING_VIEWS


def _tell_why_signed_out(request: HttpRequest) -> None:
    """
    If the session this browser still names was ended by the site, say why.
    Only on the way to the login page: an accepted request never pays the lookup.
    """
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    # A session that still exists (its user deactivated, say) has not been ended.
    if not session_key or request.session.session_key is not None:
        return
    if (reason := selectors.session_end_reason(session_key=session_key)) is not None:
        messages.info(request, sign_outs.explain(reason))


def session_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Django's ``login_required``, telling a browser whose session was ended why."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        _tell_why_signed_out(request)
        return redirect_to_login(request.get_full_path())

    return wrapper


class SessionLoginView(auth_views.LoginView):
    template_name = "accounts/session/login.html"
    redirect_authenticated_user = True

    # Django 6 passes the request; 5.2 passes nothing.
    def get_redirect_url(self, *args: Any, **kwargs: Any) -> str:
        url = super().get_redirect_url(*args, **kwargs)
        return "" if _bounces(url) else url

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _tell_why_signed_out(request)
        return super().get(request, *args, **kwargs)


class SessionLogoutView(auth_views.LogoutView):
    """Django's LogoutView: POST only, CSRF-protected; the login page it leads to says so."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, sign_outs.explain(SignOutReason.SIGNED_OUT))
        return response


@require_GET
@session_login_required
def session_home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/session/home.html", {"area": "session"})


@require_GET
@session_login_required
def session_profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/session/profile.html", {"area": "session"})


@require_GET
@session_login_required
@staff_required(area="session")
def session_staff(request: HttpRequest) -> HttpResponse:
    """Staff only, decided from the user row this request just read."""
    return render(request, "accounts/staff.html", {"area": "session"})


class SignedInRequest(HttpRequest):
    """A request that ``login_required`` let through: its user is a real one."""

    user: User


@require_http_methods(["GET", "POST"])
@session_login_required
def session_list(request: SignedInRequest) -> HttpResponse:
    if request.method == "POST":
        if public_id := request.POST.get("end"):
            if services.user_session_end(user=request.user, public_id=public_id):
                messages.success(request, "That session has ended.")
            else:
                messages.warning(request, "That session had already ended.")
        elif "end_others" in request.POST:
            ended = services.user_sessions_end(
                user=request.user, keep_session_key=request.session.session_key
            )
            messages.success(request, f"Ended {ended} other session(s).")
        return redirect("accounts:session-list")
    context = {
        "area": "session",
        "sessions": selectors.user_session_list(user=request.user),
        "current_session_key": request.session.session_key,
    }
    return render(request, "accounts/session/sessions.html", context)


# ------------------------------------------------------------------ JWT area


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and not _bounces(candidate):
        return candidate
    return default


def _set_jwt_cookies(response: HttpResponse, *, refresh: str, access: str) -> None:
    common = {
        "secure": settings.ACCOUNTS_JWT_COOKIE_SECURE,
        "httponly": True,
        "samesite": "Strict",
    }
    response.set_cookie(
        settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME,
        access,
        max_age=int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        path="/",
        **common,
    )
    response.set_cookie(
        settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME,
        refresh,
        max_age=int(api_settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
        path=settings.ACCOUNTS_JWT_REFRESH_COOKIE_PATH,
        **common,
    )


def _delete_jwt_cookies(response: HttpResponse) -> None:
    response.delete_cookie(settings.ACCOUNTS_JWT_ACCESS_COOKIE_NAME, path="/", samesite="Strict")
    response.delete_cookie(
        settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME,
        path=settings.ACCOUNTS_JWT_REFRESH_COOKIE_PATH,
        samesite="Strict",
    )


def _jwt_cookie_verdict(request: HttpRequest) -> Verdict:
    authenticated = JWTCookieAuthentication().authenticate(request)
    if authenticated is None:
        return Verdict(None, Outcome.MISSING)
    return Verdict(authenticated[0], Outcome.ACCEPTED)


def _signed_in_to_jwt_pages(request: HttpRequest) -> bool:
    """Whether the access cookie is valid (unobserved: the login page is no lane)."""
    try:
        return JWTCookieAuthentication().authenticate(request) is not None
    except AuthenticationFailed:
        return False


def jwt_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """
    Let the view run for a valid access-token cookie; otherwise refresh silently.

    The refresh cookie is scoped to the token endpoints, so a page cannot see
    it: a missing or expired access token sends the browser through the
    refresh endpoint, which comes straight back with a new pair or, failing
    that, goes on to the login form.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            user = observe_auth(
                request, lane=lanes.JWT_PAGES, step=lambda: _jwt_cookie_verdict(request)
            ).user
        except AuthenticationFailed:
            user = None
        if user is None:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:jwt-refresh')}?{query}")
        request.user = user
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


@require_http_methods(["GET", "POST"])
@csrf_protect
@never_cache
def jwt_login(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and _signed_in_to_jwt_pages(request):
        # A tab that lost a refresh race lands here while the browser holds the new pair.
        return HttpResponseRedirect(_safe_next(request, reverse("accounts:jwt-home")))
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        refresh = TokenObtainPairSerializer.get_token(form.get_user())
        response = HttpResponseRedirect(_safe_next(request, reverse("accounts:jwt-home")))
        _set_jwt_cookies(response, refresh=str(refresh), access=str(refresh.access_token))
        return response
    status = HTTPStatus.BAD_REQUEST if request.method == "POST" else HTTPStatus.OK
    context = {"form": form, "next": _safe_next(request, ""), "area": "jwt"}
    return render(request, "accounts/jwt/login.html", context, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
def jwt_refresh(request: HttpRequest) -> HttpResponse:
    """
    Exchange the refresh cookie for a new pair and go back to ``next``.

    GET is allowed so that a page can refresh without JavaScript. That is safe
    here: the refresh cookie is SameSite=Strict, so no other site can make a
    browser send it, and the only effect is a rotation for the cookie's owner.
    """
    login_url = f"{reverse('accounts:jwt-login')}?{urlencode({'next': _safe_next(request, '')})}"
    raw_token = request.COOKIES.get(settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME, "")
    if not raw_token:
        # Nothing was sent, so nothing was refused: a page on another site linked
        # here (the cookie is SameSite=Strict), or nobody is signed in. Leave the
        # browser's cookies alone.
        return HttpResponseRedirect(login_url)
    serializer = TokenRefreshSerializer(data={"refresh": raw_token})
    try:
        serializer.is_valid(raise_exception=True)
    except InvalidToken as e:
        response = HttpResponseRedirect(login_url)
        # Lost a race to another tab, which holds the new pair in the same cookies.
        if refusal_code(e) != "token_refresh_race":
            _delete_jwt_cookies(response)
        return response
    except (TokenError, AuthenticationFailed, ValidationError):
        response = HttpResponseRedirect(login_url)
        _delete_jwt_cookies(response)
        return response
    response = HttpResponseRedirect(_safe_next(request, reverse("accounts:jwt-home")))
    _set_jwt_cookies(response, **serializer.validated_data)
    return response


def _refresh_cookie_token(request: HttpRequest) -> RefreshToken | None:
    try:
        return RefreshToken(request.COOKIES.get(settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME, ""))
    except TokenError:
        return None


@require_POST
@never_cache
def jwt_logout(request: HttpRequest) -> HttpResponse:
    if (refresh := _refresh_cookie_token(request)) is not None:
        refresh.blacklist()
    response = HttpResponseRedirect(reverse("accounts:jwt-login"))
    _delete_jwt_cookies(response)
    return response


@require_POST
@never_cache
def jwt_end_other_tokens(request: HttpRequest) -> HttpResponse:
    """Blacklist every refresh token of the user but the one this browser holds."""
    refresh = _refresh_cookie_token(request)
    if refresh is None:
        return redirect("accounts:jwt-login")
    user = selectors.user_get(user_id=refresh.get(api_settings.USER_ID_CLAIM))
    if user is None:
        return redirect("accounts:jwt-login")
    ended = services.user_refresh_tokens_blacklist(user=user, keep_jti=refresh["jti"])
    messages.success(request, f"Ended {ended} other sign-in(s).")
    return redirect("accounts:jwt-list")


@require_GET
@jwt_login_required
def jwt_home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/jwt/home.html", {"area": "jwt"})


@require_GET
@jwt_login_required
def jwt_profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/jwt/profile.html", {"area": "jwt"})


@require_GET
@jwt_login_required
@staff_required(area="jwt")
def jwt_staff(request: HttpRequest) -> HttpResponse:
    """Staff only, decided from the token's claim: no lookup."""
    return render(request, "accounts/staff.html", {"area": "jwt"})


@require_http_methods(["GET", "POST"])
@jwt_login_required
def jwt_list(request: HttpRequest) -> HttpResponse:
    user = selectors.user_get(user_id=request.user.pk)
    if user is None:
        return redirect("accounts:jwt-login")
    if request.method == "POST":
        token_id = parse_row_id(request.POST.get("end"))
        if token_id is not None and services.user_refresh_token_blacklist(
            user=user, token_id=token_id
        ):
            messages.success(request, "That sign-in has ended.")
        else:
            messages.warning(request, "That sign-in had already ended.")
        return redirect("accounts:jwt-list")
    context = {"area": "jwt", "tokens": selectors.user_refresh_token_list(user=user)}
    return render(request, "accounts/jwt/sessions.html", context)
