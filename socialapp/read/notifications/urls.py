from django.urls import path

from socialapp.read.notifications import views

urlpatterns = [
    path("notifications", views.NotificationsView.as_view(), name="notifications"),
    path("notifications/read", views.MarkReadView.as_view(), name="notifications-read"),
]
