"""The dashboard, as a page and as data (``figures.json``): the same figures, the same filters."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.settings import api_settings

from accounts.api import ErrorSerializer
from accounts.exceptions import SessionStoreUnavailableError
from comparison import charts, selectors
from comparison.recorder import recorder
from comparison.serializers import FiguresSerializer
from comparison.sources import Source


class UnknownSourceError(ValueError):
    pass


def _source(query: QueryDict) -> str:
    source = query.get("source", Source.LIVE)
    if source not in Source.values:
        raise UnknownSourceError(
            f"There is no source {source[:40]!r}: ask for one of {', '.join(Source.values)}."
        )
    return source


def _viewer_is_staff(request: HttpRequest) -> bool:
    """
    Whether the session's user is staff. When the session store is down nobody
    is: the figures still show, which is when they are wanted most. Without a
    session cookie nobody is either, and the session lane is not run: an
    anonymous look at the figures would otherwise add a refusal to them.
    """
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    try:
        return bool(request.user.is_staff)
    except SessionStoreUnavailableError:
        return False


def _figures(query: QueryDict, *, staff: bool) -> selectors.Figures:
    source = _source(query)
    # The writer stores this process's queue soon; nobody waits for it here.
    recorder.nudge()
    return selectors.dashboard_figures(source=source, instance=query.get("instance"), staff=staff)


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        figures = _figures(request.GET, staff=_viewer_is_staff(request))
    except UnknownSourceError as e:
        return render(request, "400.html", {"detail": str(e)}, status=HTTPStatus.BAD_REQUEST)
    lanes = list(figures.lanes.values())
    context = {
        "figures": figures,
        "instances": figures.instances,
        "instance": figures.instance,
        "by_lane": figures.lanes,
        "summaries": lanes,
        "pending": recorder.pending(),
        "access_lifetime": int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        "role_drill": figures.role_drill,
        "histograms": {
            "wide": charts.latency_histograms(lanes, width=charts.WIDE),
            "narrow": charts.latency_histograms(lanes, width=charts.NARROW),
        },
        "timeline": {
            "wide": charts.timeline(figures.minutes, figures.per_minute, width=charts.WIDE),
            "narrow": charts.timeline(figures.minutes, figures.per_minute, width=charts.NARROW),
        },
    }
    return render(request, "comparison/dashboard.html", context)


class InvalidFilter(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("Unknown filter value.")
    default_code = "invalid_filter"


@extend_schema(
    parameters=[
        OpenApiParameter(
            "source",
            OpenApiTypes.STR,
            enum=Source.values,
            default=Source.LIVE,
            description="Whose traffic: live use unless asked otherwise.",
        ),
        OpenApiParameter(
            "instance",
            OpenApiTypes.STR,
            description="One app instance; an instance that recorded nothing means all of them.",
        ),
    ],
    responses={200: FiguresSerializer, 400: ErrorSerializer},
)
class FiguresView(APIView):
    """
    Everything the dashboard shows, as data: per-lane figures over accepted
    requests, refusals by reason, the last hour per minute, the claims, the
    last drill and benchmark, and, with a staff member's session cookie, recent
    revocations.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    def perform_authentication(self, request: Request) -> None:
        """
        Nothing to do: anyone may read the figures. Whether the viewer is staff
        is read from the session as the page reads it (``request.user``, the
        session lane), so that a session-store outage hides names, not figures.
        """

    def get(self, request: Request) -> Response:
        try:
            figures = _figures(request.query_params, staff=_viewer_is_staff(request._request))
        except UnknownSourceError as e:
            raise InvalidFilter(str(e)) from e
        context = {"pending_samples": recorder.pending()}
        return Response(FiguresSerializer(figures, context=context).data)
