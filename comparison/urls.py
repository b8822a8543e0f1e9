from django.urls import path

from comparison import views

app_name = "comparison"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
