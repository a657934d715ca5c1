from django.urls import path

from socialapp.common.dispatch import register_query_view
from socialapp.read.feeds import views

# Shared paths (the command side owns the URL entry; we plug our GET in by route key).
register_query_view("post-detail", views.PostDetailView.as_view())
register_query_view("post-comments", views.PostCommentsView.as_view())

urlpatterns = [
    path("feed", views.HomeFeedView.as_view(), name="feed"),
    path("users/<username:username>/posts", views.UserPostsView.as_view(), name="user-posts"),
    path("tags/<tag:tag>/posts", views.TagPostsView.as_view(), name="tag-posts"),
]
