"""Feed and post queries. `GET posts/{id}` and `GET posts/{id}/comments` share their paths with
commands: socialapp/urls.py mounts those."""

from django.urls import path

from socialapp.read.feeds import views

urlpatterns = [
    path("feed", views.HomeFeedView.as_view(), name="feed"),
    path("users/<username:username>/posts", views.UserPostsView.as_view(), name="user-posts"),
    path("tags/<tag:tag>/posts", views.TagPostsView.as_view(), name="tag-posts"),
]
