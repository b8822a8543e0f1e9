"""
A small HTTP client for driving this site on loopback from its own commands
(the benchmark and the soak): a cookie jar, CSRF-aware form posts, no
automatic redirects, and every status returned rather than raised.
"""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class SiteClient:
    """One browser-like client of the site at ``base`` (an http://127.0.0.1 URL)."""

    def __init__(self, base: str, *, timeout: float = 10.0) -> None:
        if not base.startswith("http://127.0.0.1:"):
            raise ValueError("SiteClient only talks to this machine's loopback address.")
        self.base = base
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def cookie(self, name: str) -> str:
        return next((cookie.value or "" for cookie in self.jar if cookie.name == name), "")

    def request(
        self,
        method: str,
        path: str,
        *,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 - the base URL is checked to be loopback
            self.base + path, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Answer(response.status, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read())

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> Answer:
        return self.request("POST", path, data=data, **kwargs)

    def form_post(self, path: str, data: dict[str, Any], *, form_path: str | None = None) -> Answer:
        """POST a form the way a browser does: fetch its page first for the CSRF token."""
        self.get(form_path or path)
        token = self.cookie(settings.CSRF_COOKIE_NAME)
        return self.post(path, {**data, "csrfmiddlewaretoken": token})

    def log_in(self, path: str, username: str, password: str) -> Answer:
        return self.form_post(path, {"username": username, "password": password})

    def token_pair(self, username: str, password: str) -> dict[str, str]:
        answer = self.post("/api/jwt/token/", {"username": username, "password": password})
        return answer.json() if answer.status == 200 else {}
