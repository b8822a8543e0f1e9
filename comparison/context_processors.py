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
