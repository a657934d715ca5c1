"""Follow commands, on a path shared with the query side (socialapp.common.dispatch)."""

from django.urls import path

from socialapp.common.dispatch import ROUTES, method_dispatch

urlpatterns = [
    path(ROUTES["user-follow"], method_dispatch("user-follow"), name="user-follow"),
]
