"""Report commands (filled in by issue 15)."""

urlpatterns: list = []
