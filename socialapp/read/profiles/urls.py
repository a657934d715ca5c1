"""Profile queries. `GET me` shares its path with the `PATCH me` command: socialapp/urls.py
mounts that one."""

from django.urls import path

from socialapp.read.profiles import views

urlpatterns = [
    path("users/<username:username>", views.ProfileView.as_view(), name="user-profile"),
    path("users/<username:username>/followers", views.FollowersView.as_view(), name="user-followers"),
    path("users/<username:username>/following", views.FollowingView.as_view(), name="user-following"),
]
