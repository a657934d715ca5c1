from django.urls import path

from socialapp.read.activity import views

urlpatterns = [
    path("admin/dashboard", views.DashboardView.as_view(), name="admin-dashboard"),
]
