"""The breaking-change guard: what the committed OpenAPI document (docs/openapi.yaml) removed or
narrowed against the last released API version's (docs/openapi-baseline.yaml).

    python -m devkit.openapi_guard [docs/openapi-baseline.yaml docs/openapi.yaml CHANGELOG.md]

exits 1 listing each breaking change, unless CHANGELOG.md's `## Unreleased` section declares a
new API version with a line `API version: <major>.<minor>.<patch>` whose major is above the
baseline's `info.version` (and docs/openapi.yaml's `info.version`, SPECTACULAR_SETTINGS
["VERSION"], says the same version). On release, docs/openapi.yaml becomes the new baseline.

Breaking, for a client generated from the baseline: an operation removed; a parameter removed,
made required or added as required; a request body made required; a request property made
required; a documented response status or a response property removed; and in any schema a
`type` or `format` changed, an enum value removed, maxLength/maximum/maxItems lowered or
minLength/minimum/minItems raised (requests and responses alike: a narrower request rejects what
the client sends, a narrower response breaks a client's validation or its exhaustive switch).
Additions of optional things are not breaking.

Why our own small checker: the well-kept tools (oasdiff, openapi-changes) are Go programs
and the npm `openapi-diff` needs Node; the Python packages on PyPI that diff OpenAPI documents
are unmaintained one-offs. The rules above are all this guard needs, in a page of Python.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "docs" / "openapi-baseline.yaml"
CURRENT = REPO / "docs" / "openapi.yaml"
CHANGELOG = REPO / "CHANGELOG.md"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
MARKER = re.compile(r"^API version:\s*(\d+)\.(\d+)\.(\d+)\s*$", re.MULTILINE)
LOWERED = ("maxLength", "maximum", "maxItems")  # breaking when lowered
RAISED = ("minLength", "minimum", "minItems")  # breaking when raised
INF = float("inf")


class Schemas:
    """Resolves `$ref`s into one document's components."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 50:
            target: Any = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node, seen = target, seen + 1
        return node


def compare_schema(old: Any, new: Any, where: str, direction: str, ctx: tuple[Schemas, Schemas]) -> list[str]:
    """What `new` narrowed or removed of `old` (`direction`: "request" or "response")."""
    found: list[str] = []
    _compare(old, new, where, direction, ctx, found, set())
    return found


def _compare(old, new, where, direction, ctx, found, seen) -> None:  # type: ignore[no-untyped-def]
    key = (id(old), id(new))
    if key in seen:
        return
    seen.add(key)
    old, new = ctx[0].resolve(old), ctx[1].resolve(new)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    for word in ("type", "format"):
        if word in old and old.get(word) != new.get(word):
            found.append(f"{where}: {word} changed from {old[word]!r} to {new.get(word)!r}")
    if "enum" in old and "enum" in new:
        for value in old["enum"]:
            if value not in new["enum"]:
                found.append(f"{where}: enum value {value!r} removed")
    for word in LOWERED:  # absent: unbounded
        if new.get(word, INF) < old.get(word, INF):
            found.append(f"{where}: {word} lowered from {old.get(word, 'none')} to {new[word]}")
    for word in RAISED:  # absent: 0 for lengths and counts, unbounded for minimum
        floor = -INF if word == "minimum" else 0
        if new.get(word, floor) > old.get(word, floor):
            found.append(f"{where}: {word} raised from {old.get(word, 'none')} to {new[word]}")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, sub in old_props.items():
        if name not in new_props:
            if direction == "response":
                found.append(f"{where}.{name}: response property removed")
            continue
        _compare(sub, new_props[name], f"{where}.{name}", direction, ctx, found, seen)
    if direction == "request":
        for name in set(new.get("required", [])) - set(old.get("required", [])):
            found.append(f"{where}.{name}: request property made required")
    if "items" in old and "items" in new:
        _compare(old["items"], new["items"], f"{where}[]", direction, ctx, found, seen)
    if isinstance(old.get("additionalProperties"), dict) and isinstance(new.get("additionalProperties"), dict):
        _compare(old["additionalProperties"], new["additionalProperties"], f"{where}{{}}", direction, ctx, found, seen)


def _parameters(op: dict[str, Any], schemas: Schemas) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for parameter in op.get("parameters", []):
        parameter = schemas.resolve(parameter)
        found[parameter["in"], parameter["name"]] = parameter
    return found


def _json_schema(body: dict[str, Any] | None, schemas: Schemas) -> dict[str, Any] | None:
    content = (schemas.resolve(body) or {}).get("content", {})
    for media in ("application/json", "application/problem+json", *content):
        if media in content:
            return content[media].get("schema")
    return None


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every breaking change of `new` against `old`, one line each (empty: compatible)."""
    ctx = (Schemas(old), Schemas(new))
    found: list[str] = []
    for path, old_ops in old.get("paths", {}).items():
        new_ops = new.get("paths", {}).get(path, {})
        for method in (m for m in METHODS if m in old_ops):
            name = f"{method.upper()} {path}"
            if method not in new_ops:
                found.append(f"{name}: operation removed")
                continue
            old_op, new_op = old_ops[method], new_ops[method]
            old_params, new_params = _parameters(old_op, ctx[0]), _parameters(new_op, ctx[1])
            for key, parameter in old_params.items():
                where = f"{name} {key[0]} parameter {key[1]}"
                if key not in new_params:
                    found.append(f"{where}: removed")
                    continue
                if new_params[key].get("required") and not parameter.get("required"):
                    found.append(f"{where}: made required")
                found += compare_schema(parameter.get("schema"), new_params[key].get("schema"), where, "request", ctx)
            for key, parameter in new_params.items():
                if key not in old_params and parameter.get("required"):
                    found.append(f"{name} {key[0]} parameter {key[1]}: added as required")
            old_body, new_body = old_op.get("requestBody"), new_op.get("requestBody")
            body_required = [bool(b and ctx[n].resolve(b).get("required")) for n, b in enumerate((old_body, new_body))]
            if body_required == [False, True]:
                found.append(f"{name} request body: made required")
            if old_body and new_body:
                old_schema, new_schema = _json_schema(old_body, ctx[0]), _json_schema(new_body, ctx[1])
                found += compare_schema(old_schema, new_schema, f"{name} request body", "request", ctx)
            for status, response in old_op.get("responses", {}).items():
                new_response = new_op.get("responses", {}).get(status)
                if new_response is None:
                    found.append(f"{name} response {status}: removed")
                    continue
                old_schema, new_schema = _json_schema(response, ctx[0]), _json_schema(new_response, ctx[1])
                found += compare_schema(old_schema, new_schema, f"{name} response {status}", "response", ctx)
    return found


def declared_version(changelog: str) -> tuple[int, int, int] | None:
    """The `API version: X.Y.Z` line of the changelog's `## Unreleased` section, if any."""
    match = re.search(r"^## Unreleased\s*$(.*?)(?=^## |\Z)", changelog, re.MULTILINE | re.DOTALL)
    declared = MARKER.search(match.group(1)) if match else None
    return tuple(int(n) for n in declared.groups()) if declared else None  # type: ignore[return-value]


def parse_version(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(n) for n in str(text).split(".")[:3])
    return major, minor, patch


def check(old: dict[str, Any], new: dict[str, Any], changelog: str) -> list[str]:
    """The guard's verdict: problems to report (empty: pass)."""
    changes = breaking_changes(old, new)
    if not changes:
        return []
    declared = declared_version(changelog)
    baseline = parse_version(old["info"]["version"])
    if declared is None or declared[0] <= baseline[0]:
        return [
            *changes,
            f"{len(changes)} breaking change(s) against API version {old['info']['version']}: undo them, or declare a "
            f"new major API version with a line `API version: {baseline[0] + 1}.0.0` in CHANGELOG.md's "
            "`## Unreleased` section (and SPECTACULAR_SETTINGS['VERSION'] to match, then `make openapi`).",
        ]
    if parse_version(new["info"]["version"]) != declared:
        return [
            f"CHANGELOG.md declares API version {'.'.join(map(str, declared))} but docs/openapi.yaml says "
            f"{new['info']['version']}: set SPECTACULAR_SETTINGS['VERSION'] and run `make openapi`."
        ]
    return []


def main(argv: list[str]) -> int:
    baseline, current, changelog = (Path(a) for a in argv) if argv else (BASELINE, CURRENT, CHANGELOG)
    problems = check(yaml.safe_load(baseline.read_text()), yaml.safe_load(current.read_text()), changelog.read_text())
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
