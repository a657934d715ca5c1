"""Trends queries (docs/analytics.md, "Trends")."""

from django.urls import path

from socialapp.read.trends import views

urlpatterns = [
    path("trends/tags", views.TrendingTagsView.as_view(), name="trends-tags"),
    path("trends/posts", views.TrendingPostsView.as_view(), name="trends-posts"),
    path("tags/<tag:tag>/history", views.TagHistoryView.as_view(), name="tag-history"),
]
