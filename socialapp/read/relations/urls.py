from django.urls import path

from socialapp.read.relations import views

urlpatterns = [
    path("me/blocks", views.BlocksView.as_view(), name="me-blocks"),
    path("me/mutes", views.MutesView.as_view(), name="me-mutes"),
    path("me/follow-requests", views.FollowRequestsView.as_view(), name="me-follow-requests"),
]
