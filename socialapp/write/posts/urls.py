"""Post and like commands, on paths shared with the query side (socialapp.common.dispatch)."""

from django.urls import path

from socialapp.common.dispatch import ROUTES, method_dispatch

urlpatterns = [
    path(ROUTES["posts"], method_dispatch("posts"), name="posts"),
    path(ROUTES["post-detail"], method_dispatch("post-detail"), name="post-detail"),
    path(ROUTES["post-like"], method_dispatch("post-like"), name="post-like"),
]
