"""API authentication: DRF's token, presented as `Authorization: Bearer <token>`."""

from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    keyword = "Bearer"
