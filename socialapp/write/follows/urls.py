"""Follow commands. Through `by_method` so that a method the path lacks is a 405 problem before
authentication, as on the shared paths."""

from django.urls import path

from socialapp.common.dispatch import by_method
from socialapp.write.follows import views

follow = views.FollowView.as_view()

urlpatterns = [
    path("users/<username:username>/follow", by_method(put=follow, delete=follow), name="user-follow"),
]
