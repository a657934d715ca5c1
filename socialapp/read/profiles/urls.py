from django.urls import path

from socialapp.common.dispatch import register_query_view
from socialapp.read.profiles import views

register_query_view("me", views.MeView.as_view())

urlpatterns = [
    path("users/<username:username>", views.ProfileView.as_view(), name="user-profile"),
    path("users/<username:username>/followers", views.FollowersView.as_view(), name="user-followers"),
    path("users/<username:username>/following", views.FollowingView.as_view(), name="user-following"),
]
