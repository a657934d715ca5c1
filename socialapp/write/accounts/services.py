"""Account commands: register, log in (token), update the profile, deactivate.

Each runs in one transaction and appends its event (docs/events.md) in it. Passwords and tokens
are credentials, not domain state: they change without events.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from socialapp.common.errors import Conflict, InvalidCredentials, NotAuthorized, NotFound, ValidationFailed
from socialapp.common.text import USERNAME_PATTERN, clean_text
from socialapp.events.catalogue import EventType
from socialapp.write.accounts.models import User
from socialapp.write.common.aggregates import append_to, lock_active_actor, save_and_append

_USERNAME = re.compile(USERNAME_PATTERN)
EMAIL_MAX = 254  # the column's length; the validator alone would let 320 through
DISPLAY_NAME_MAX = 50
BIO_MAX = 300


def _clean_username(username: object) -> str:
    if not isinstance(username, str) or not _USERNAME.fullmatch(username):
        raise ValidationFailed.on("username", "3 to 30 characters: letters a-z, digits and underscore.")
    return username


def _clean_email(email: object) -> str:
    if not isinstance(email, str) or len(email) > EMAIL_MAX:
        raise ValidationFailed.on("email", f"Enter a valid e-mail address (at most {EMAIL_MAX} characters).")
    validate_email(email)
    return email


@transaction.atomic
def user_register(
    *,
    username: str,
    email: str,
    password: str | None,
    display_name: str = "",
    bio: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    errors: dict[str, list[str]] = {}
    checks = {
        "username": lambda: _clean_username(username),
        "email": lambda: _clean_email(email),
        "display_name": lambda: clean_text(
            display_name, field="display_name", max_length=DISPLAY_NAME_MAX, multiline=False
        ),
        "bio": lambda: clean_text(bio, field="bio", max_length=BIO_MAX),
    }
    cleaned: dict[str, Any] = {}
    for field, check in checks.items():
        try:
            cleaned[field] = check()
        except ValidationFailed as exc:
            errors.update(exc.errors or {field: [exc.detail]})
        except DjangoValidationError as exc:
            errors[field] = list(exc.messages)
    user = User(
        username=username,
        email=User.objects.normalize_email(email),
        display_name=cleaned.get("display_name", ""),
        bio=cleaned.get("bio", ""),
        is_staff=is_staff,
        is_superuser=is_superuser,
        version=1,
    )
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user=user)
        except DjangoValidationError as exc:
            errors["password"] = list(exc.messages)
        user.set_password(password)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), errors=errors)
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("This username is taken.", errors={"username": ["This username is taken."]})
    try:
        with transaction.atomic():  # a racing registration hits the unique index here
            user.save()
    except IntegrityError as exc:
        raise Conflict("This username is taken.", errors={"username": ["This username is taken."]}) from exc
    append_to(
        user,
        event_type=EventType.USER_REGISTERED,
        actor_id=user.id,
        payload={
            "user_id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "bio": user.bio,
            "email": user.email,
            "registered_at": user.date_joined.isoformat(),
        },
    )
    return user


@transaction.atomic
def token_obtain(*, username: str, password: str) -> tuple[User, str]:
    """Exchange credentials for the user's API token (one per user, created on first use)."""
    user = authenticate(username=username, password=password)
    if user is None:
        # The username is matched without regard to case, as registration does.
        match = User.objects.filter(username__iexact=username).first()
        user = authenticate(username=match.username, password=password) if match else None
    if user is None or user.deactivated_at is not None:
        raise InvalidCredentials("Unknown username or wrong password.")
    token, _ = Token.objects.get_or_create(user=user)
    return user, token.key


@transaction.atomic
def token_issue(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def _lock_user(user_id: int) -> User:
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    return user


@transaction.atomic
def profile_update(*, user_id: int, display_name: str | None = None, bio: str | None = None) -> User:
    """Change display name and/or bio. Unchanged values append nothing."""
    user = _lock_user(user_id)
    if user.deactivated_at is not None:
        raise NotFound("No such user.")
    new_name = (
        user.display_name
        if display_name is None
        else clean_text(display_name, field="display_name", max_length=DISPLAY_NAME_MAX, multiline=False)
    )
    new_bio = user.bio if bio is None else clean_text(bio, field="bio", max_length=BIO_MAX)
    if (new_name, new_bio) == (user.display_name, user.bio):
        return user
    user.display_name, user.bio = new_name, new_bio
    save_and_append(
        user,
        update_fields=["display_name", "bio"],
        event_type=EventType.PROFILE_UPDATED,
        actor_id=user.id,
        payload={"user_id": user.id, "display_name": new_name, "bio": new_bio},
    )
    return user


@transaction.atomic
def user_deactivate(*, user_id: int, actor: User) -> User:
    """Deactivate an account, by its owner or a moderator. Final: tokens go, logins fail."""
    by_self = actor.pk == user_id
    if not by_self and not actor.is_staff:
        raise NotAuthorized("Only moderators may deactivate other accounts.")
    # A moderator must still be active when this commits: FOR SHARE on them, FOR UPDATE on the
    # account, in ascending id order like every command (two moderators deactivating each other
    # at once: one commits, the other then finds itself deactivated and is refused).
    for uid in sorted({user_id, actor.pk}):
        if uid == user_id:
            user = _lock_user(user_id)
        else:
            lock_active_actor(actor.pk)
    if user.deactivated_at is not None:
        raise Conflict("This account is already deactivated.")
    user.deactivated_at = timezone.now()
    user.is_active = False
    save_and_append(
        user,
        update_fields=["deactivated_at", "is_active"],
        event_type=EventType.USER_DEACTIVATED,
        actor_id=actor.pk,
        payload={
            "user_id": user.id,
            "username": user.username,
            "deactivated_at": user.deactivated_at.isoformat(),
            "by": "self" if by_self else "moderator",
        },
    )
    Token.objects.filter(user_id=user.id).delete()
    return user
