from django.http import HttpRequest

from comparison.probe import AuthCost


def auth_receipt(request: HttpRequest) -> dict[str, AuthCost | bool | None]:
    """
    The auth cost of the request being rendered, for the page's receipt. Its
    details only when the lane accepted the request: a refusal's stay on the
    server, as in ``comparison.middleware.server_timing``.
    """
    cost: AuthCost | None = getattr(request, "auth_cost", None)
    return {"auth_cost": cost, "auth_cost_detailed": cost is not None and cost.accepted}


# The part of the site a page belongs to, by the name of its URL.
NAV_SECTIONS = (
    ("session", ("session-",)),
    ("jwt", ("jwt-",)),
    ("playground", ("playground",)),
    ("guide", ("guide",)),
    ("dashboard", ("dashboard",)),
    ("home", ("index",)),
)


def navigation(request: HttpRequest) -> dict[str, str]:
    """Which entry of the main navigation the page is in, for its ``aria-current``."""
    match = request.resolver_match
    name = (match.url_name or "") if match else ""
    for section, prefixes in NAV_SECTIONS:
        if name.startswith(prefixes):
            return {"nav_section": section}
    return {"nav_section": ""}
