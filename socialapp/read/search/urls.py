from django.urls import path

from socialapp.read.search import views

urlpatterns = [
    path("search/posts", views.PostSearchView.as_view(), name="search-posts"),
    path("search/users", views.UserSearchView.as_view(), name="search-users"),
    path("search/hashtags", views.HashtagSearchView.as_view(), name="search-hashtags"),
]
