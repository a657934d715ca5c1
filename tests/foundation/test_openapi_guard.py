"""The committed API contract: docs/openapi.yaml is exactly what the server generates, and it
removes or narrows nothing of the last released version (docs/openapi-baseline.yaml) unless
CHANGELOG.md declares a new major API version (devkit/openapi_guard.py, docs/api.md)."""

from __future__ import annotations

import copy
import difflib
from typing import Any

import pytest
import yaml
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.settings import spectacular_settings

from devkit.openapi_guard import BASELINE, CHANGELOG, CURRENT, breaking_changes, check, declared_version

REGENERATE = (
    "docs/openapi.yaml is not what the server generates. Regenerate it with `make openapi` (that is: "
    "DJANGO_SETTINGS_MODULE=socialapp.settings.test .venv/bin/python manage.py spectacular "
    "--file docs/openapi.yaml --validate --fail-on-warn) and commit it."
)


def generated_yaml() -> bytes:
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    return OpenApiYamlRenderer().render(generator.get_schema(request=None, public=True), renderer_context={})


def test_the_committed_schema_is_what_the_server_generates() -> None:
    generated, committed = generated_yaml(), CURRENT.read_bytes()
    if generated != committed:
        diff = difflib.unified_diff(
            committed.decode().splitlines(), generated.decode().splitlines(), "committed", "generated", lineterm="", n=1
        )
        pytest.fail(REGENERATE + "\nFirst differences:\n" + "\n".join(list(diff)[:40]))


def test_generation_is_deterministic() -> None:
    assert generated_yaml() == generated_yaml()


def test_the_committed_schema_breaks_nothing_of_the_baseline_unless_the_changelog_says_so() -> None:
    problems = check(yaml.safe_load(BASELINE.read_text()), yaml.safe_load(CURRENT.read_text()), CHANGELOG.read_text())
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------- the checker's rules
def document(version: str = "1.0.0") -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": version},
        "paths": {
            "/things/{id}": {
                "get": {
                    "parameters": [
                        {"in": "path", "name": "id", "required": True, "schema": {"type": "integer"}},
                        {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                    ],
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                        "404": {"content": {"application/problem+json": {"schema": {"type": "object"}}}},
                    },
                },
                "patch": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"name": {"type": "string", "maxLength": 50}},
                                }
                            }
                        }
                    },
                    "responses": {"200": {"description": "ok"}},
                },
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "kind": {"type": "string", "enum": ["a", "b"]},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                }
            }
        },
    }


GET = ("paths", "/things/{id}", "get")


def mutated(change) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    new = copy.deepcopy(document())
    change(new)
    return new


def thing(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]["Thing"]["properties"]


def get(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["paths"]["/things/{id}"]["get"]


def patch_body(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["paths"]["/things/{id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]


BREAKING = {
    "operation removed": lambda d: d["paths"]["/things/{id}"].pop("patch"),
    "parameter removed": lambda d: get(d)["parameters"].pop(1),
    "parameter made required": lambda d: get(d)["parameters"][1].update(required=True),
    "required parameter added": lambda d: get(d)["parameters"].append(
        {"in": "query", "name": "q", "required": True, "schema": {"type": "string"}}
    ),
    "maximum lowered": lambda d: get(d)["parameters"][1]["schema"].update(maximum=50),
    "minimum raised": lambda d: get(d)["parameters"][1]["schema"].update(minimum=2),
    "type changed": lambda d: get(d)["parameters"][0]["schema"].update(type="string"),
    "response status removed": lambda d: get(d)["responses"].pop("404"),
    "response property removed": lambda d: thing(d).pop("tags"),
    "enum value removed": lambda d: thing(d)["kind"].update(enum=["a"]),
    "minLength raised": lambda d: thing(d)["name"].update(minLength=3),
    "maxLength lowered": lambda d: patch_body(d)["properties"]["name"].update(maxLength=40),
    "maxLength added": lambda d: thing(d)["name"].update(maxLength=40),
    "request property made required": lambda d: patch_body(d).update(required=["name"]),
    "request body made required": lambda d: d["paths"]["/things/{id}"]["patch"]["requestBody"].update(required=True),
    "array items type changed": lambda d: thing(d)["tags"]["items"].update(type="integer"),
}
COMPATIBLE = {
    "operation added": lambda d: d["paths"]["/things/{id}"].update(delete={"responses": {"204": {}}}),
    "optional parameter added": lambda d: get(d)["parameters"].append(
        {"in": "query", "name": "q", "schema": {"type": "string"}}
    ),
    "maximum raised": lambda d: get(d)["parameters"][1]["schema"].update(maximum=200),
    "minLength lowered": lambda d: thing(d)["name"].update(minLength=0),
    "response property added": lambda d: thing(d).update(extra={"type": "string"}),
    "enum value added": lambda d: thing(d)["kind"].update(enum=["a", "b", "c"]),
    "response status added": lambda d: get(d)["responses"].update({"429": {"description": "slow down"}}),
    "description changed": lambda d: get(d).update(description="new words"),
}


@pytest.mark.parametrize("name", sorted(BREAKING))
def test_a_narrowing_or_removal_is_breaking(name: str) -> None:
    found = breaking_changes(document(), mutated(BREAKING[name]))
    assert len(found) >= 1, name


@pytest.mark.parametrize("name", sorted(COMPATIBLE))
def test_an_addition_or_widening_is_not_breaking(name: str) -> None:
    assert breaking_changes(document(), mutated(COMPATIBLE[name])) == [], name


UNRELEASED = (
    "# Changelog\n\n## Unreleased\n\n### Changed\n- something\n{marker}\n## 1.0.0 - 2026-01-01\n\nAPI version: 9.0.0\n"
)


def test_a_breaking_change_passes_only_under_a_declared_new_major_api_version() -> None:
    old = document("1.0.0")
    new = mutated(BREAKING["operation removed"])
    problems = check(old, new, UNRELEASED.format(marker=""))
    assert problems and "API version: 2.0.0" in problems[-1]  # a released section's marker does not count
    assert check(old, new, UNRELEASED.format(marker="API version: 1.1.0")), "a minor version is not enough"
    new["info"]["version"] = "2.0.0"
    assert check(old, new, UNRELEASED.format(marker="API version: 2.0.0")) == []
    new["info"]["version"] = "1.0.0"
    [mismatch] = check(old, new, UNRELEASED.format(marker="API version: 2.0.0"))
    assert "docs/openapi.yaml says 1.0.0" in mismatch


def test_the_changelog_marker_is_read_from_the_unreleased_section_only() -> None:
    assert declared_version(UNRELEASED.format(marker="API version: 2.0.0")) == (2, 0, 0)
    assert declared_version(UNRELEASED.format(marker="")) is None
    pending = declared_version(CHANGELOG.read_text())  # a breaking change awaiting release, if any
    assert pending is None or ".".join(map(str, pending)) == spectacular_settings.VERSION
