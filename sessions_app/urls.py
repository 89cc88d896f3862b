from django.urls import path

from . import api

urlpatterns = [
    path("auth/login/", api.LoginView.as_view(), name="login"),
    path("auth/logout/", api.LogoutView.as_view(), name="logout"),
    path("session/", api.SessionView.as_view(), name="session"),
]
