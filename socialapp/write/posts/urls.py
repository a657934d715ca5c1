"""Post and like commands, on paths shared with the query side (socialapp.common.dispatch)."""

from django.urls import path

from socialapp.common.dispatch import ROUTES, method_dispatch
from socialapp.write.posts import views

detail = views.PostDetailView.as_view()
like = views.PostLikeView.as_view()

urlpatterns = [
    path(ROUTES["posts"], method_dispatch("posts", post=views.PostCreateView.as_view()), name="posts"),
    path(ROUTES["post-detail"], method_dispatch("post-detail", patch=detail, delete=detail), name="post-detail"),
    path(ROUTES["post-like"], method_dispatch("post-like", put=like, delete=like), name="post-like"),
]
