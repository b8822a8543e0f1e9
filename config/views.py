"""
Error responses: a page for people, JSON with a ``code`` for the API.

Django's defaults already render templates/<status>.html; these handlers add
the JSON variant for /api/ so that an API client never has to parse HTML.
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static

API_PREFIX = "/api/"


def _error(
    request: HttpRequest, status: HTTPStatus, code: str, detail: str, template: str
) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": detail, "code": code}, status=status)
    return render(request, template, {"detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, HTTPStatus.BAD_REQUEST, "bad_request", "Bad request.", "400.html")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(
        request, HTTPStatus.FORBIDDEN, "permission_denied", "You may not do that.", "403.html"
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, HTTPStatus.NOT_FOUND, "not_found", "Nothing lives here.", "404.html")


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "server_error",
        "Something broke on our side; it has been logged.",
        "500.html",
    )


def service_unavailable(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        HTTPStatus.SERVICE_UNAVAILABLE,
        "store_unavailable",
        "A data store is not answering. Please try again in a few seconds.",
        "503.html",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        HTTPStatus.FORBIDDEN,
        "csrf_failed",
        "This form has expired or did not come from this site. Reload the page and try again.",
        "403_csrf.html",
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page declares; send them to the real one."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
