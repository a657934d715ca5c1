"""Comment commands. `POST posts/{id}/comments` shares its path with the query side's list of
comments: socialapp/urls.py mounts that one. Paths go through `by_method` so that a method the
path lacks is a 405 problem before authentication, as on the shared paths."""

from django.urls import path

from socialapp.common.dispatch import by_method
from socialapp.write.comments import views

detail = views.CommentDetailView.as_view()

urlpatterns = [
    path("comments/<id:comment_id>", by_method(patch=detail, delete=detail), name="comment-detail"),
]
