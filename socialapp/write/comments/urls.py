"""Comment commands, on paths shared with the query side (socialapp.common.dispatch)."""

from django.urls import path

from socialapp.common.dispatch import ROUTES, method_dispatch
from socialapp.write.comments import views

detail = views.CommentDetailView.as_view()

urlpatterns = [
    path(
        ROUTES["post-comments"],
        method_dispatch("post-comments", post=views.CommentCreateView.as_view()),
        name="post-comments",
    ),
    path(
        ROUTES["comment-detail"],
        method_dispatch("comment-detail", patch=detail, delete=detail),
        name="comment-detail",
    ),
]
