"""Account command endpoints: thin; the services decide."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common import throttling
from socialapp.events.catalogue import AggregateType
from socialapp.write.accounts import selectors, services
from socialapp.write.accounts import serializers as s
from socialapp.write.common.api import CommandView


class RegisterView(CommandView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = throttling.REGISTER_THROTTLES
    schema_errors = {409: "The username is taken (`errors.username`)"}  # the OpenAPI document's

    @extend_schema(request=s.RegisterIn, responses={201: s.RegisteredOut})
    def post(self, request: Request) -> Response:
        data = s.RegisterIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        token = services.token_issue(user=user)
        out = s.RegisteredOut({**s.AccountOut(user).data, "token": token}).data
        return Response(out, status=status.HTTP_201_CREATED)


class TokenView(CommandView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    schema_errors = {401: "Wrong username or password (InvalidCredentials)"}  # the OpenAPI document's
    throttle_classes = throttling.LOGIN_THROTTLES

    @extend_schema(request=s.TokenIn, responses={200: s.TokenOut})
    def post(self, request: Request) -> Response:
        data = s.TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        user, token = services.token_obtain(**data.validated_data)
        self.aggregate = (AggregateType.USER, user.pk)
        return Response(s.TokenOut({"token": token, "user_id": user.pk, "username": user.username}).data)


class MeView(CommandView):
    @extend_schema(request=s.ProfileIn, responses={200: s.AccountOut})
    def patch(self, request: Request) -> Response:
        data = s.ProfileIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.profile_update(user_id=request.user.pk, **data.validated_data)
        self.aggregate = (AggregateType.USER, user.pk)
        return Response(s.AccountOut(user).data)


class DeactivateView(CommandView):
    schema_errors = {409: "The account is already deactivated"}  # the OpenAPI document's

    @extend_schema(request=None, responses={200: s.AccountOut})
    def post(self, request: Request) -> Response:
        user = services.user_deactivate(user_id=request.user.pk, actor=request.user)
        return Response(s.AccountOut(user).data)


def _current_session_id(request: Request) -> int | None:
    return getattr(request.auth, "pk", None)


class LogoutView(CommandView):
    @extend_schema(request=None, responses={204: None}, summary="End the session of the presented token")
    def post(self, request: Request) -> Response:
        services.token_revoke(user_id=request.user.pk, token_id=_current_session_id(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionListView(CommandView):
    @extend_schema(responses={200: s.SessionListOut}, summary="Your sessions (logins), newest first")
    def get(self, request: Request) -> Response:
        current = _current_session_id(request)
        rows = [
            {
                "id": t.pk,
                "label": t.label,
                "created_at": t.created_at,
                "last_used_at": t.last_used_at,
                "expires_at": t.expires_at,
                "scope": t.scope,
                "current": t.pk == current,
            }
            for t in selectors.sessions_of(user_id=request.user.pk)
        ]
        return Response(s.SessionListOut({"results": rows}).data)


class SessionView(CommandView):
    @extend_schema(request=None, responses={204: None}, summary="End one of your sessions")
    def delete(self, request: Request, session_id: int) -> Response:
        services.token_revoke(user_id=request.user.pk, token_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordView(CommandView):
    @extend_schema(
        request=s.PasswordIn, responses={204: None}, summary="Change your password; ends your other sessions"
    )
    def post(self, request: Request) -> Response:
        data = s.PasswordIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_change(
            user_id=request.user.pk, current_token_id=_current_session_id(request), **data.validated_data
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
