from django.http import HttpRequest

from comparison.probe import AuthCost


def auth_receipt(request: HttpRequest) -> dict[str, AuthCost | None]:
    """The auth cost of the request being rendered, for the page's receipt."""
    return {"auth_cost": getattr(request, "auth_cost", None)}
