"""Report commands. Through `by_method` so that a method the path lacks is a 405 problem before
authentication, as on the other command paths."""

from django.urls import path

from socialapp.common.dispatch import by_method
from socialapp.write.moderation import views

urlpatterns = [
    path("reports", by_method(post=views.ReportCreateView.as_view()), name="reports"),
]
