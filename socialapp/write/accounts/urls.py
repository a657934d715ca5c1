"""Account commands. `me` is shared with the query side (GET): see socialapp.common.dispatch."""

from django.urls import path

from socialapp.common.dispatch import ROUTES, method_dispatch

urlpatterns = [
    path(ROUTES["me"], method_dispatch("me"), name="me"),
]
