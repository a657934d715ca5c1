"""Post and like commands. `PATCH`/`DELETE posts/{id}` share their path with the query side's
`GET posts/{id}`: socialapp/urls.py mounts that one. Paths go through `by_method` so that a
method the path lacks is a 405 problem before authentication, as on the shared paths."""

from django.urls import path

from socialapp.common.dispatch import by_method
from socialapp.write.posts import views

like = views.PostLikeView.as_view()

urlpatterns = [
    path("posts", by_method(post=views.PostCreateView.as_view()), name="posts"),
    path("posts/<id:post_id>/like", by_method(put=like, delete=like), name="post-like"),
]
