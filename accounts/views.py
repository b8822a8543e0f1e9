"""
Pages of both areas.

The session area (/session/) and the JWT area (/jwt/) show the same pages on
the same users; only the credential differs. Views stay thin: reads go
through selectors, writes through services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import lanes, selectors, services, sign_outs
from accounts.authentication import JWTCookieAuthentication
from accounts.forms import parse_row_id
from accounts.models import User
from accounts.observers import Verdict, observe_auth
from accounts.outcomes import Outcome, refusal_code
from accounts.permissions import staff_required
from accounts.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from accounts.sign_outs import SignOutReason
from accounts.tokens import RefreshToken, UntypedToken

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
    context = {
        "area": "session",
        "idle_timeout": settings.SESSION_COOKIE_AGE,
        "absolute_timeout": settings.ACCOUNTS_SESSION_ABSOLUTE_TIMEOUT,
    }
    return render(request, "accounts/session/home.html", context)


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
            messages.success(request, f"Ended {ended} other session{pluralize(ended)}.")
        return redirect("accounts:session-list")
    sessions = selectors.user_session_list(user=request.user)
    context = {
        "area": "session",
        "sessions": sessions,
        "current_session_key": request.session.session_key,
        "others": [s for s in sessions if s.session_key != request.session.session_key],
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


class JWTPageRequest(HttpRequest):
    """A request that ``jwt_login_required`` let through, with the access token it showed."""

    auth: Token


def _jwt_cookie_verdict(request: HttpRequest) -> Verdict:
    authenticated = JWTCookieAuthentication().authenticate(request)
    if authenticated is None:
        return Verdict(None, Outcome.MISSING)
    # The pages say until when this token lets them in, as DRF keeps it on request.auth.
    request.auth = authenticated[1]  # type: ignore[attr-defined]
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

    The refresh cookie is scoped to the token endpoints and "My sign-ins", so
    an ordinary page cannot see it: a missing or expired access token sends
    the browser through the refresh endpoint, which comes straight back with
    a new pair or, failing that, goes on to the login form.
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


# Once "My sign-ins" has found this browser's sign-in ended, the other pages
# say so too, from this cookie: they consult no store, and must not start to.
SIGN_IN_ENDED_COOKIE = "jwt-sign-in-ended"
SIGN_IN_ENDED_SALT = "accounts.views.sign-in-ended"


@dataclass(frozen=True)
class SignInEnded:
    """This browser's sign-in has ended; its access token still works ``until``."""

    reason: str
    until: datetime


def _sign_in_ended(request: JWTPageRequest) -> SignInEnded | None:
    """What the cookie says, if it was written for the access token this request carries."""
    try:
        value = request.get_signed_cookie(SIGN_IN_ENDED_COOKIE, salt=SIGN_IN_ENDED_SALT)
    except (KeyError, signing.BadSignature):
        return None
    reason, _, jti = str(value).partition(":")
    if jti != request.auth[api_settings.JTI_CLAIM]:
        return None
    return SignInEnded(
        reason=sign_outs.explain(SignOutReason(reason)),
        until=datetime_from_epoch(request.auth["exp"]),
    )


def _remember_sign_in_ended(
    response: HttpResponse, request: JWTPageRequest, reason: SignOutReason
) -> None:
    response.set_signed_cookie(
        SIGN_IN_ENDED_COOKIE,
        f"{reason}:{request.auth[api_settings.JTI_CLAIM]}",
        salt=SIGN_IN_ENDED_SALT,
        max_age=int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        path="/jwt/",
        secure=settings.ACCOUNTS_JWT_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def _jwt_page(request: JWTPageRequest, template: str, **context: Any) -> HttpResponse:
    context = {
        "area": "jwt",
        "sign_in_ended": _sign_in_ended(request),
        "access_expires_at": datetime_from_epoch(request.auth["exp"]),
        "sign_in_lifetime": api_settings.REFRESH_TOKEN_LIFETIME,
        **context,
    }
    return render(request, template, context)


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
    context = {
        "form": form,
        "next": _safe_next(request, ""),
        "area": "jwt",
        "access_lifetime": api_settings.ACCESS_TOKEN_LIFETIME,
    }
    return render(request, "accounts/jwt/login.html", context, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
def jwt_refresh(request: HttpRequest) -> HttpResponse:
    """
    Exchange the refresh cookie for a new pair and go back to ``next``.

    GET is allowed so that a page can refresh without JavaScript. That is safe
    here: the refresh cookie is SameSite=Strict, so no other site can make a
    browser send it, and the only effect is a rotation for the cookie's owner.
    A refused refresh is where a revocation reaches these pages: the login
    form says why, from the rows the refusal has just read.
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
    except (TokenError, AuthenticationFailed, ValidationError) as e:
        response = HttpResponseRedirect(login_url)
        # Lost a race to another tab, which holds the new pair in the same cookies.
        if isinstance(e, InvalidToken) and refusal_code(e) == "token_refresh_race":
            return response
        if (reason := selectors.refresh_token_end_reason(raw_token=raw_token)) is not None:
            messages.info(request, sign_outs.explain(reason))
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
    messages.success(request, sign_outs.explain(SignOutReason.SIGNED_OUT))
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
    messages.success(request, f"Ended {ended} other sign-in{pluralize(ended)}.")
    return redirect("accounts:jwt-list")


@require_GET
@jwt_login_required
def jwt_home(request: JWTPageRequest) -> HttpResponse:
    return _jwt_page(request, "accounts/jwt/home.html")


@require_GET
@jwt_login_required
def jwt_profile(request: JWTPageRequest) -> HttpResponse:
    return _jwt_page(request, "accounts/jwt/profile.html")


def _this_browsers_refresh_jti(request: HttpRequest) -> str | None:
    """The id of the refresh token this browser holds, live or not (this page sees the cookie)."""
    try:
        token = UntypedToken(request.COOKIES.get(settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME, ""))
    except TokenError:
        return None
    return token.get(api_settings.JTI_CLAIM)


@require_GET
@jwt_login_required
@staff_required(area="jwt")
def jwt_staff(request: JWTPageRequest) -> HttpResponse:
    """Staff only, decided from the token's claim: no lookup."""
    return _jwt_page(request, "accounts/staff.html")


@require_http_methods(["GET", "POST"])
@jwt_login_required
def jwt_list(request: JWTPageRequest) -> HttpResponse:
    """
    The user's sign-ins. This page queries the database anyway, and is served
    under the refresh cookie's path: it is where this browser learns, for
    free, that its own sign-in has ended while its access token still works.
    """
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
    tokens = list(selectors.user_refresh_token_list(user=user))
    this_jti = _this_browsers_refresh_jti(request)
    ended_reason = None
    if not any(token.jti == this_jti for token in tokens):
        ended_reason = selectors.refresh_token_end_reason(
            raw_token=request.COOKIES.get(settings.ACCOUNTS_JWT_REFRESH_COOKIE_NAME, "")
        )
    sign_in_ended = (
        SignInEnded(
            reason=sign_outs.explain(ended_reason),
            until=datetime_from_epoch(request.auth["exp"]),
        )
        if ended_reason is not None
        else _sign_in_ended(request)
    )
    context = {
        "area": "jwt",
        "tokens": tokens,
        "this_jti": this_jti,
        "others": [token for token in tokens if token.jti != this_jti],
        "sign_in_ended": sign_in_ended,
    }
    response = render(request, "accounts/jwt/sessions.html", context)
    if ended_reason is not None:
        _remember_sign_in_ended(response, request, ended_reason)
    return response
