"""Block, mute and follow-request commands. Through `by_method` so that a method the path lacks
is a 405 problem before authentication, as on the shared paths."""

from django.urls import path

from socialapp.common.dispatch import by_method
from socialapp.write.relations import views

block = views.BlockView.as_view()
mute = views.MuteView.as_view()

urlpatterns = [
    path("users/<username:username>/block", by_method(put=block, delete=block), name="user-block"),
    path("users/<username:username>/mute", by_method(put=mute, delete=mute), name="user-mute"),
    path(
        "me/follow-requests/<username:username>/approve",
        by_method(post=views.FollowRequestApproveView.as_view()),
        name="follow-request-approve",
    ),
    path(
        "me/follow-requests/<username:username>/reject",
        by_method(post=views.FollowRequestRejectView.as_view()),
        name="follow-request-reject",
    ),
]
