"""Account commands: register, log in (a session token), log out, change the password, update
the profile, deactivate, suspend and unsuspend.

Each runs in one transaction and appends its event (docs/events.md) in it. Passwords and tokens
are credentials, not domain state: they change without events (and no event ever carries one).

Tokens: the client gets `secrets.token_urlsafe(32)`; the table keeps only its SHA-256
(`AuthToken.key_hash`), so the secret exists nowhere but with the client.

Sessions are mirrored into the shared cache for the query side (socialapp.common.sessions,
docs/read-models.md "Authentication on the query side"): every service that creates, renews or
ends a session writes or deletes its record here. Ending one deletes the record in the command's
transaction and again on commit, so the query side refuses the token as soon as the command
answers. Cache failures never fail a command: a record that could not be written is republished
by `session_sync` (periodic), one that could not be deleted is deleted by a retried task.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from socialapp.common.errors import Conflict, InvalidCredentials, NotAuthorized, NotFound, ValidationFailed
from socialapp.common.scopes import FULL
from socialapp.common.sessions import SessionRecord, hash_token, last_use_key, recent_writes_key, session_key
from socialapp.common.text import USERNAME_PATTERN, clean_text
from socialapp.events.catalogue import EventType
from socialapp.write.accounts.models import AuthToken, User
from socialapp.write.common.aggregates import append_to, lock_active_actor, save_and_append

log = logging.getLogger(__name__)
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
    if password is not None:
        try:
            validate_password(password, user=user)
        except DjangoValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), errors=errors)
    if _find_user(username) is not None:
        raise Conflict("This username is taken.", errors={"username": ["This username is taken."]})
    # Hashing is the expensive step: only valid, free usernames get that far.
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
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
            "locked": user.locked,
            "registered_at": user.date_joined.isoformat(),
        },
    )
    return user


def _find_user(username: str) -> User | None:
    """One lookup, without regard to case (as the unique index `lower(username)` is)."""
    return User.objects.annotate(lname=Lower("username")).filter(lname=username.lower()).first()


def _find_login(identifier: str) -> User | None:
    """A username, or an e-mail address (OAuth's password grant: Mastodon clients send the
    e-mail in `username`). An address several accounts share names none of them."""
    if "@" not in identifier:
        return _find_user(identifier)
    found = list(User.objects.annotate(lemail=Lower("email")).filter(lemail=identifier.lower())[:2])
    return found[0] if len(found) == 1 else None


def may_log_in(user: User) -> bool:
    return user.is_active and user.deactivated_at is None and user.suspended_at is None


# --------------------------------------------------------------------------- session records
def _record(token: AuthToken, user: User) -> SessionRecord:
    return {
        "token_id": token.pk,
        "user_id": user.pk,
        "username": user.username,
        "email": user.email,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "last_used_at": token.last_used_at.timestamp(),
        "expires_at": token.expires_at.timestamp(),
        "scopes": token.scope,
    }


def _publish_session(token: AuthToken, user: User) -> None:
    """Write a live session's record, its cache timeout its expiry. Then check the row is still
    there: a revocation that committed between our read and our write deleted the record before
    we wrote it, so it is deleted again (no revoked session comes back)."""
    key = session_key(token.key_hash)
    timeout = (token.expires_at - timezone.now()).total_seconds()
    if timeout <= 0:
        return
    try:
        cache.set(key, _record(token, user), timeout)
    except Exception as exc:  # redis errors: the cache, not the command; session_sync republishes
        log.warning("session %s: cache unavailable (%s); record not written", token.pk, type(exc).__name__)
        return
    if not AuthToken.objects.filter(pk=token.pk).exists():
        forget_sessions_now([token.key_hash])


def forget_sessions_now(key_hashes: list[str]) -> bool:
    """Delete the records (and recorded last uses) of these sessions; False if the cache failed."""
    try:
        cache.delete_many([k for h in key_hashes for k in (session_key(h), last_use_key(h), recent_writes_key(h))])
    except Exception as exc:
        log.warning("%d session records: cache unavailable (%s)", len(key_hashes), type(exc).__name__)
        return False
    return True


def forget_sessions(key_hashes: list[str]) -> None:
    """Delete the cache records of ended sessions: now, and again when the transaction commits
    (a record written meanwhile by a racing renewal goes too). If the cache cannot be reached,
    the deletion is handed to a retried task (the query side answers 503 while it is down)."""
    if not key_hashes:
        return

    def on_commit() -> None:
        if not forget_sessions_now(key_hashes):
            from socialapp.write.accounts.tasks import forget_sessions_later

            try:
                forget_sessions_later.apply_async((key_hashes,), countdown=1)
            except Exception:
                log.exception("%d ended sessions may stay valid on the query side until they expire", len(key_hashes))

    forget_sessions_now(key_hashes)
    transaction.on_commit(on_commit)


def _end_sessions(tokens: QuerySet[AuthToken]) -> int:
    """Delete sessions (a queryset of AuthToken) and their cache records."""
    hashes = list(tokens.values_list("key_hash", flat=True))
    deleted, _ = tokens.delete()
    forget_sessions(hashes)
    return deleted


def session_sync(*, batch: int = 500) -> dict[str, int]:
    """The periodic reconciliation of table and cache (task `accounts.sync_sessions`, beat every
    AUTH_SESSION_SYNC_SECONDS):

    - the last use the query side recorded moves the row's `last_used_at` and `expires_at`
      forward (sliding expiry of sessions used only for queries; commands read the table);
    - a live session without a record (cache restarted, evicted, a write that failed) or with an
      outdated one (staff or superuser flag changed in the admin) is republished;
    - a session of a user who may no longer log in (a login that raced a suspension) is ended.
    """
    now = timezone.now()
    ttl = timedelta(seconds=settings.AUTH_TOKEN_TTL_SECONDS)
    counts = {"renewed": 0, "published": 0, "ended": 0}
    after = 0
    while True:
        tokens = list(
            AuthToken.objects.select_related("user").filter(pk__gt=after, expires_at__gt=now).order_by("pk")[:batch]
        )
        if not tokens:
            return counts
        after = tokens[-1].pk
        keys = [k for t in tokens for k in (session_key(t.key_hash), last_use_key(t.key_hash))]
        cached = cache.get_many(keys)
        for token in tokens:
            if not may_log_in(token.user):
                counts["ended"] += _end_sessions(AuthToken.objects.filter(pk=token.pk))
                continue
            record = cached.get(session_key(token.key_hash))
            used = cached.get(last_use_key(token.key_hash))
            if used is not None:
                last = datetime.fromtimestamp(float(used), tz=UTC)
                if last > token.last_used_at:
                    counts["renewed"] += AuthToken.objects.filter(pk=token.pk, last_used_at__lt=last).update(
                        last_used_at=last, expires_at=last + ttl
                    )
                    token.last_used_at, token.expires_at = last, last + ttl
            wanted = _record(token, token.user)
            identity = ("user_id", "username", "email", "is_staff", "is_superuser", "scopes")
            if record is None or any(record.get(f) != wanted[f] for f in identity):
                _publish_session(token, token.user)
                counts["published"] += 1


def _issue(user: User, label: str, *, scope: str = FULL, application: Any = None) -> str:
    """A new session: a fresh secret for the client, its hash for us. Expired sessions of the
    user go, and the oldest beyond AUTH_MAX_SESSIONS (a login loop cannot grow the table).
    `scope` and `application` come from an OAuth grant (socialapp.write.oauth.services); our
    own login grants FULL, to no application."""
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    token = AuthToken.objects.create(
        user=user,
        key_hash=hash_token(secret),
        label=label,
        scope=scope,
        application=application,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(seconds=settings.AUTH_TOKEN_TTL_SECONDS),
    )
    _end_sessions(AuthToken.objects.filter(user=user, expires_at__lte=now))
    keep = AuthToken.objects.filter(user=user).order_by("-created_at", "-id")[: settings.AUTH_MAX_SESSIONS]
    _end_sessions(AuthToken.objects.filter(user=user).exclude(pk__in=list(keep.values_list("pk", flat=True))))
    _publish_session(token, user)
    return secret


@transaction.atomic
def token_obtain(
    *,
    username: str,
    password: str,
    label: str = "",
    by_email: bool = False,
    scope: str = FULL,
    application: Any = None,
) -> tuple[User, str]:
    """Log in: credentials for a new session token (one per login). `by_email` also accepts an
    e-mail address for `username` (OAuth's password grant); `scope`/`application`: see _issue.

    Exactly one password hash per attempt, whatever the outcome: an unknown username (or one
    without a usable password) hashes the given password anyway, as Django's ModelBackend does,
    so the time taken does not tell which usernames exist.
    """
    user = credentials_check(username=username, password=password, by_email=by_email)
    return user, _issue(user, label, scope=scope, application=application)


def credentials_check(*, username: str, password: str, by_email: bool = False) -> User:
    """The user these credentials name, if they may log in; InvalidCredentials otherwise (the
    OAuth authorize page signs in with this, then issues a code rather than a session)."""
    user = _find_login(username) if by_email else _find_user(username)
    if user is None or not user.has_usable_password():
        make_password(password)  # the same work as a real check, thrown away
        raise InvalidCredentials("Unknown username or wrong password.")
    if not user.check_password(password) or not may_log_in(user):
        raise InvalidCredentials("Unknown username or wrong password.")
    return user


@transaction.atomic
def token_issue(*, user: User, label: str = "", scope: str = FULL, application: Any = None) -> str:
    """A new session for a user already known to be who they say (just registered, or who
    approved an OAuth application: its code was exchanged)."""
    return _issue(user, label, scope=scope, application=application)


def token_touch(*, token_id: int, now: datetime) -> None:
    """Sliding renewal: move the session's expiry forward on use. Called by authentication at
    most once per AUTH_TOKEN_TOUCH_SECONDS per token (the condition makes concurrent requests
    write once), so a busy client costs one small UPDATE a minute, not one per request. The
    cache record follows (the query side sees the new expiry)."""
    updated = AuthToken.objects.filter(
        pk=token_id, last_used_at__lt=now - timedelta(seconds=settings.AUTH_TOKEN_TOUCH_SECONDS)
    ).update(last_used_at=now, expires_at=now + timedelta(seconds=settings.AUTH_TOKEN_TTL_SECONDS))
    if updated:
        token = AuthToken.objects.select_related("user").filter(pk=token_id).first()
        if token is not None:
            _publish_session(token, token.user)


@transaction.atomic
def sessions_end(tokens: QuerySet[AuthToken]) -> int:
    """End these sessions at once on both sides (OAuth revocation, an application deleted)."""
    return _end_sessions(tokens)


@transaction.atomic
def token_revoke(*, user_id: int, token_id: int) -> None:
    """End one session of the user (logout: the presented one; the session list: any)."""
    if not _end_sessions(AuthToken.objects.filter(pk=token_id, user_id=user_id)):
        raise NotFound("No such session.")


@transaction.atomic
def password_change(*, user_id: int, current_token_id: int | None, old_password: str, new_password: str) -> User:
    """Check the old password, set the new one and end every other session (someone who knew
    the old password may hold one); the session that asked stays."""
    user = _lock_user(user_id)
    if not user.check_password(old_password):
        raise InvalidCredentials("The current password is wrong.")
    try:
        validate_password(new_password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed.on("new_password", " ".join(exc.messages)) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _end_sessions(AuthToken.objects.filter(user_id=user_id).exclude(pk=current_token_id))
    return user


def _lock_user(user_id: int) -> User:
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    return user


@transaction.atomic
def profile_update(
    *, user_id: int, display_name: str | None = None, bio: str | None = None, locked: bool | None = None
) -> User:
    """Change display name, bio and/or `locked` (the account approves its followers from then
    on; followers it has stay, pending requests stay pending). Unchanged values append nothing;
    `profile.updated` carries every current value, `locked` included, so that a read model
    needs no earlier event to apply it."""
    user = _lock_user(user_id)
    if user.deactivated_at is not None:
        raise NotFound("No such user.")
    new_name = (
        user.display_name
        if display_name is None
        else clean_text(display_name, field="display_name", max_length=DISPLAY_NAME_MAX, multiline=False)
    )
    new_bio = user.bio if bio is None else clean_text(bio, field="bio", max_length=BIO_MAX)
    new_locked = user.locked if locked is None else bool(locked)
    if (new_name, new_bio, new_locked) == (user.display_name, user.bio, user.locked):
        return user
    user.display_name, user.bio, user.locked = new_name, new_bio, new_locked
    save_and_append(
        user,
        update_fields=["display_name", "bio", "locked"],
        event_type=EventType.PROFILE_UPDATED,
        actor_id=user.id,
        payload={"user_id": user.id, "display_name": new_name, "bio": new_bio, "locked": new_locked},
    )
    return user


@transaction.atomic
def user_deactivate(*, user_id: int, actor: User) -> User:
    """Deactivate an account, by its owner or a moderator. Final: tokens go, logins fail."""
    by_self = actor.pk == user_id
    if not by_self and not actor.is_staff:
        raise NotAuthorized("Only moderators may deactivate other accounts.")
    # A moderator must still be active when this commits (two moderators deactivating each other
    # at once: one commits, the other then finds itself deactivated and is refused).
    user = _lock_moderated(user_id, actor)
    if not by_self:
        _check_may_moderate(actor, user)
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
    _end_sessions(AuthToken.objects.filter(user_id=user.id))
    return user


def _check_may_moderate(actor: User, user: User) -> None:
    """Moderators act on ordinary accounts; only superusers on staff (moderators and admins)."""
    if user.pk == actor.pk:
        raise NotAuthorized("Moderators cannot act on their own account this way.")
    if not actor.is_staff:
        raise NotAuthorized("Only moderators may do this.")
    if (user.is_staff or user.is_superuser) and not actor.is_superuser:
        raise NotAuthorized("Only superusers may act on staff accounts.")


def _lock_moderated(user_id: int, actor: User) -> User:
    """FOR UPDATE on the account, FOR SHARE on the (active) moderator, in ascending id order like
    every command; on one's own account only the FOR UPDATE."""
    user = None
    for uid in sorted({user_id, actor.pk}):
        if uid == user_id:
            user = _lock_user(user_id)
        else:
            lock_active_actor(actor.pk)
    assert user is not None
    return user


@transaction.atomic
def user_suspend(*, user_id: int, actor: User) -> User:
    """Suspend an account: reversible. While suspended it is hidden everywhere (the read models
    keep a flag, its content stays) and locked out: its sessions end and logins fail."""
    user = _lock_moderated(user_id, actor)
    _check_may_moderate(actor, user)
    if user.deactivated_at is not None:
        raise Conflict("This account is deactivated.")
    if user.suspended_at is not None:
        raise Conflict("This account is already suspended.")
    user.suspended_at = timezone.now()
    user.is_active = False
    save_and_append(
        user,
        update_fields=["suspended_at", "is_active"],
        event_type=EventType.USER_SUSPENDED,
        actor_id=actor.pk,
        payload={"user_id": user.id, "suspended_at": user.suspended_at.isoformat()},
    )
    _end_sessions(AuthToken.objects.filter(user_id=user.id))
    return user


@transaction.atomic
def user_unsuspend(*, user_id: int, actor: User) -> User:
    """Lift a suspension: the account shows again exactly as before; its owner logs in anew."""
    user = _lock_moderated(user_id, actor)
    _check_may_moderate(actor, user)
    if user.suspended_at is None:
        raise Conflict("This account is not suspended.")
    user.suspended_at = None
    user.is_active = user.deactivated_at is None
    save_and_append(
        user,
        update_fields=["suspended_at", "is_active"],
        event_type=EventType.USER_UNSUSPENDED,
        actor_id=actor.pk,
        payload={"user_id": user.id, "unsuspended_at": timezone.now().isoformat()},
    )
    return user
