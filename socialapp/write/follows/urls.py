"""Follow commands, on a path shared with the query side (socialapp.common.dispatch)."""

from django.urls import path

from socialapp.common.dispatch import ROUTES, method_dispatch
from socialapp.write.follows import views

follow = views.FollowView.as_view()

urlpatterns = [
    path(ROUTES["user-follow"], method_dispatch("user-follow", put=follow, delete=follow), name="user-follow"),
]
