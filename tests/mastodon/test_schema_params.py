"""The OpenAPI document names every query parameter each Mastodon view reads, and no other.

The Mastodon views read `request.GET` by hand (socialapp/mastodon/common/params.py), so nothing
ties what they read to what the document says (their `schema_query` or `mastodon_schema(...,
parameters=...)`). This test reads the code: for each Mastodon operation it walks the source of
the view's methods (its whole MRO within the project) and of the module functions they call,
and collects the query keys read there — `<query>.get("x")`, `as_list(<query>, "x")` (`x[]`),
`page_from(...)` (Mastodon's id paging) — where `<query>` is `request.GET`, `request.query_params`
or a local bound to one. A parameter added to a view without documenting it (or documented and no
longer read) fails here, before schemathesis or a client generator meets it.
"""

from __future__ import annotations

import ast
import inspect
import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

PAGING = {"limit", "max_id", "since_id", "min_id"}
QUERY_ATTRIBUTES = {"GET", "query_params"}


def _is_query(node: ast.AST, aliases: set[str]) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in QUERY_ATTRIBUTES:
        return True
    return isinstance(node, ast.Name) and node.id in aliases


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _reads(function: Callable[..., Any], seen: set[Any]) -> Iterator[str]:
    """The query keys `function` reads, and those of the functions of its module it calls."""
    if function in seen:
        return
    seen.add(function)
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    module = sys.modules[function.__module__]
    aliases = {  # `q = request.query_params`, `params = request.GET`
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _is_query(node.value, set())
        for target in node.targets
        if isinstance(target, ast.Name)
    } | {  # `page, q = page_from(request), request.query_params`
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple)
        for target, value in zip(getattr(node.targets[0], "elts", []), node.value.elts, strict=False)
        if isinstance(target, ast.Name) and _is_query(value, set())
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("get", "getlist") and _is_query(func.value, aliases):
            if node.args and (key := _literal(node.args[0])) is not None:
                yield key
        elif isinstance(func, ast.Name) and func.id == "as_list" and len(node.args) >= 2:
            if _is_query(node.args[0], aliases) and (key := _literal(node.args[1])) is not None:
                yield f"{key}[]"
        elif isinstance(func, ast.Name) and func.id == "page_from":
            yield from PAGING
        elif (
            isinstance(func, ast.Name)
            and inspect.isfunction(called := getattr(module, func.id, None))
            and called.__module__ == function.__module__  # a helper of the same module
        ):
            yield from _reads(called, seen)


def _view_reads(view_class: type, method: str) -> set[str]:
    """What the view's handler for `method` reads: every definition of it along the MRO (a
    handler calling super() reads its parent's too), with the helpers of each."""
    keys: set[str] = set()
    seen: set[Any] = set()
    for klass in view_class.__mro__:
        handler = klass.__dict__.get(method)
        if handler is not None and klass.__module__.startswith("socialapp."):
            keys |= set(_reads(inspect.unwrap(handler), seen))
    return keys


def _operations() -> list[tuple[str, str, type, set[str]]]:
    generator = SchemaGenerator()
    schema = json.loads(OpenApiJsonRenderer().render(generator.get_schema(public=True)))
    out = []
    for path, _regex, method, callback in generator.endpoints:
        view = generator.create_view(callback, method)
        documented_path = generator.coerce_path(path, method, view).rstrip("/") or path
        if not documented_path.startswith(("/api/v1/", "/api/v2/")):
            continue
        operation = schema["paths"].get(documented_path) or schema["paths"].get(documented_path + "/")
        parameters = (operation or {}).get(method.lower(), {}).get("parameters", [])
        documented = {p["name"] for p in parameters if p["in"] == "query"}
        out.append((method, documented_path, type(view), documented))
    return out


@pytest.mark.django_db
def test_every_query_parameter_a_mastodon_view_reads_is_documented_and_nothing_else() -> None:
    operations = _operations()
    assert len(operations) > 60  # every Mastodon route was walked (not an empty loop)
    problems = []
    for method, path, view_class, documented in operations:
        read = _view_reads(view_class, method.lower())
        if read != documented:
            problems.append(
                f"{method} {path}: read but undocumented {sorted(read - documented)}, "
                f"documented but unread {sorted(documented - read)}"
            )
    assert not problems, "\n".join(problems)


def test_the_reader_sees_paging_helpers_and_aliases() -> None:
    """The walker itself: a local alias, a tuple assignment and a module helper are followed."""
    from socialapp.mastodon.queries import accounts, timelines

    assert _view_reads(accounts.AccountStatusesView, "get") >= {"exclude_replies", "tagged", *PAGING}
    assert _view_reads(timelines.PublicView, "get") >= {"local", "remote", "only_media", *PAGING}
