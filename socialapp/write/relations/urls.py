"""Block, mute and follow-request commands (filled in by issue 15)."""

urlpatterns: list = []
