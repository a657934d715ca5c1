"""Account commands. `PATCH me` shares its path with the query side's `GET me`: socialapp/urls.py
mounts that one."""

from django.urls import path

from socialapp.write.accounts import views

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token", views.TokenView.as_view(), name="auth-token"),
    path("me/deactivate", views.DeactivateView.as_view(), name="me-deactivate"),
    path("me/password", views.PasswordView.as_view(), name="me-password"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/sessions", views.SessionListView.as_view(), name="auth-sessions"),
    path("auth/sessions/<id:session_id>", views.SessionView.as_view(), name="auth-session"),
]
