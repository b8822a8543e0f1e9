from django.urls import path

from comparison import guide, ingest, playground, views

app_name = "comparison"

urlpatterns = [
    path("comparison/", views.dashboard, name="dashboard"),
    path("comparison/ingest/", ingest.ingest, name="ingest"),
    path("comparison/figures.json", views.FiguresView.as_view(), name="figures"),
    path("playground/", playground.playground, name="playground"),
    path("playground/session/login/", playground.session_login, name="playground-session-login"),
    path("playground/session/logout/", playground.session_logout, name="playground-session-logout"),
    path("playground/jwt/login/", playground.jwt_login, name="playground-jwt-login"),
    path("playground/revoke/", playground.revoke, name="playground-revoke"),
    path("playground/role/grant/", playground.role_grant, name="playground-role-grant"),
    path("playground/role/remove/", playground.role_remove, name="playground-role-remove"),
    path("guide/", guide.index, name="guide"),
    path("guide/source/<path:path>", guide.source, name="guide-source"),
    path("guide/<slug:slug>/", guide.page, name="guide-page"),
]
