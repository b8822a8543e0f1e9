"""
The client's network address, the one thing lockouts and rate limits key on.

``REMOTE_ADDR`` is the address that opened the connection. Behind reverse
proxies that is the nearest proxy, shared by every client, and the client's
own address is in a header each proxy appends to. That header is trusted only
when ``ACCOUNTS_TRUSTED_PROXY_COUNT`` says how many proxies wrote it: a client
can put anything in front of the list, so only the entry the outermost
trusted proxy appended names the client. Off (0) by default, because without
proxies the header is whatever the client sent.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address, or None when the request carries none."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.ACCOUNTS_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    header = request.headers.get(settings.ACCOUNTS_CLIENT_ADDRESS_HEADER, "")
    forwarded = [entry.strip() for entry in header.split(",") if entry.strip()]
    if len(forwarded) < proxies:
        # The request skipped a trusted proxy: the connection's own address is all we know.
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-proxies]))
    except ValueError:
        return remote
