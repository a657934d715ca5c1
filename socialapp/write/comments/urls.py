"""Comment commands, on paths shared with the query side (socialapp.common.dispatch)."""

from django.urls import path

from socialapp.common.dispatch import ROUTES, method_dispatch

urlpatterns = [
    path(ROUTES["post-comments"], method_dispatch("post-comments"), name="post-comments"),
    path(ROUTES["comment-detail"], method_dispatch("comment-detail"), name="comment-detail"),
]
