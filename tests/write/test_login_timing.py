"""Login does the same work whether the username exists or not: exactly one password hash per
attempt (a dummy one for an unknown user), found by one case-insensitive lookup. Registration
validates its input before it hashes anything.

Work is measured by counting the hasher's `encode` calls (checking a password encodes it once;
making a hash encodes once): the configured hasher is a counting subclass of the test hasher.
"""

from __future__ import annotations

import contextlib

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from socialapp.common.errors import Conflict, InvalidCredentials, ValidationFailed
from socialapp.write.accounts.services import token_obtain, user_register, user_suspend
from tests.command_support import PASSWORD, make_user

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    """MD5 (the test settings' hasher, same algorithm name) that counts its hashing."""

    calls = 0

    def encode(self, password: str, salt: str) -> str:
        type(self).calls += 1
        return super().encode(password, salt)


@pytest.fixture(autouse=True)
def counting():
    with override_settings(PASSWORD_HASHERS=[f"{__name__}.CountingHasher"]):
        yield


def hashes_of(action) -> int:
    CountingHasher.calls = 0
    action()
    return CountingHasher.calls


def attempt(username: str, password: str) -> None:
    with contextlib.suppress(InvalidCredentials):
        token_obtain(username=username, password=password)


def test_unknown_user_wrong_password_and_success_each_cost_exactly_one_hash():
    make_user("dave")
    user_suspend(user_id=make_user("gone").pk, actor=make_user("boss", is_staff=True))
    user_register(username="nopass", email="n@example.org", password=None)
    costs = {
        "unknown user": hashes_of(lambda: attempt("nobody", PASSWORD)),
        "wrong password": hashes_of(lambda: attempt("dave", "wrong")),
        "wrong password, other case": hashes_of(lambda: attempt("DAVE", "wrong")),
        "suspended user": hashes_of(lambda: attempt("gone", PASSWORD)),
        "user without a usable password": hashes_of(lambda: attempt("nopass", PASSWORD)),
        "success, other case": hashes_of(lambda: token_obtain(username="Dave", password=PASSWORD)),
    }
    assert costs == dict.fromkeys(costs, 1)


def test_login_looks_the_user_up_once():
    make_user("erin")
    with CaptureQueriesContext(connection) as queries:
        attempt("ERIN", "wrong")
    lookups = [q for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    assert len(lookups) == 1 and "LOWER(" in lookups[0]["sql"].upper()


@pytest.mark.parametrize(
    "fields",
    [
        {"username": "no spaces allowed"},
        {"email": "not-an-email"},
        {"display_name": "x" * 51},
        {"password": "123"},  # refused by the password validators: no hash either
    ],
)
def test_invalid_registration_is_refused_before_any_hashing(fields):
    data = {"username": "frank", "email": "f@example.org", "password": PASSWORD, **fields}
    with pytest.raises(ValidationFailed):
        hashes_of(lambda: user_register(**data))
    assert CountingHasher.calls == 0


def test_taken_username_is_refused_before_hashing():
    make_user("grace")
    CountingHasher.calls = 0
    with pytest.raises(Conflict):
        user_register(username="GRACE", email="g@example.org", password=PASSWORD)
    assert CountingHasher.calls == 0
    assert hashes_of(lambda: user_register(username="grace2", email="g@example.org", password=PASSWORD)) == 1
