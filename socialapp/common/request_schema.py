"""OpenAPI schemas of request parameters for routes without DRF serializers: the Mastodon face
and OAuth, whose clients send the same fields as JSON, as a form or as multipart.

Why a module of its own: those views read `request.data` and `request.GET` by hand (Mastodon's
params are loose: `key[]` lists, `source[privacy]` keys, booleans spelled many ways), so the
generator cannot see what they accept. The views state it with these builders, which say exactly
what the server enforces (socialapp.common.text's rules, bigint ids), so that a client generator
and schemathesis see the same contract the code keeps. Used by socialapp.mastodon (through its
schema class) and socialapp.write.oauth; it imports neither.
"""

from __future__ import annotations

import copy
from typing import Any

from socialapp.common.ids import BIGINT_MAX, id_pattern
from socialapp.common.text import FORBIDDEN_CLASS, raw_input_cap

# A Mastodon id: 1 to 19 ASCII digits, at most a PostgreSQL bigint (socialapp.mastodon.common.
# params.as_id, the `id` path converter).
ID_PATTERN = id_pattern(leading_zeros=True)
ID: dict[str, Any] = {"type": "string", "pattern": ID_PATTERN, "minLength": 1, "maxLength": 19}
# Where a blank id means none (the paging cursors, `id[]` items): Mastodon's clients send them so.
ID_OR_BLANK: dict[str, Any] = {"type": "string", "pattern": f"^({ID_PATTERN[1:-1]})?$", "maxLength": 19}
# An id in a JSON body: Mastodon's string, or a number (what some clients send).
JSON_ID: dict[str, Any] = {"anyOf": [ID, {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX}]}
JSON_ID_OR_BLANK: dict[str, Any] = {"anyOf": [ID_OR_BLANK, {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX}]}


def either_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


# The spellings socialapp.mastodon.common.params.as_bool reads, in any case ("" is false).
TRUE_WORDS = ("1", "true", "t", "on", "yes")
FALSE_WORDS = ("0", "false", "f", "off", "no")


def boolean(description: str = "", *, only: bool | None = None, nullable: bool = True) -> dict[str, Any]:
    """A Mastodon boolean as the server reads it: a JSON boolean, 1 or 0, or one of the words
    (`true`, `false`, `on`, `no`... in any case; blank is false), since a form or a query string
    spells it as text. `only`: the one value accepted (a setting this server cannot change)."""
    words = {True: TRUE_WORDS, False: FALSE_WORDS}
    allowed = (True, False) if only is None else (only,)
    spellings = [w for value in allowed for w in words[value]]
    pattern = "^(" + "|".join(either_case(w) for w in spellings) + ")" + ("?" if False in allowed else "") + "$"
    schema: dict[str, Any] = {
        "anyOf": [
            {"type": "boolean", "enum": list(allowed)} if only is not None else {"type": "boolean"},
            {"type": "string", "pattern": pattern},
            {"type": "integer", "enum": [1 if v else 0 for v in allowed]},
        ]
    }
    if nullable:
        schema["nullable"] = True
    if description:
        schema["description"] = description
    return schema


def text(max_length: int, *, required: bool = False, multiline: bool = True, **extra: Any) -> dict[str, Any]:
    """A text field as clean_text takes it: no control characters (single-line: no tab or line
    break inside), at most `max_length` code points once trimmed, and at most raw_input_cap's
    raw characters (the cap views apply before cleaning); `required` (min_length=1): not blank."""
    forbidden = FORBIDDEN_CLASS + ("" if multiline else r"\t\n\r")
    chars = f"[^{forbidden}]"
    solid = rf"[^\s{FORBIDDEN_CLASS}]"  # neither blank nor forbidden
    blank = rf"[^\S{FORBIDDEN_CLASS}]"  # blank, not forbidden: trimmed away
    core = f"{solid}({chars}{{0,{max_length - 2}}}{solid})?" if max_length >= 2 else solid
    pattern = f"^{blank}*{core}{blank}*$" if required else f"^{blank}*({core})?{blank}*$"
    schema: dict[str, Any] = {"type": "string", "maxLength": raw_input_cap(max_length), "pattern": pattern}
    if required:
        schema["minLength"] = 1
    schema.update(extra)
    return schema


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _without_null(schema: Any) -> Any:
    """A schema as a form can send it: no JSON null anywhere in it."""
    if isinstance(schema, list):
        return [_without_null(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _without_null(v) for k, v in schema.items() if k != "nullable"}
    if isinstance(out.get("enum"), list):
        out["enum"] = [v for v in out["enum"] if v is not None]
    return out


def _form_properties(properties: dict[str, Any]) -> dict[str, Any]:
    """JSON properties as form keys: a list is `key[]` (repeated), an object's members
    `key[member]` (one level: Mastodon's `source[privacy]`, `home[last_read_id]`)."""
    out: dict[str, Any] = {}
    for name, schema in properties.items():
        if schema.get("enum") == [None]:
            continue  # JSON null only: a form cannot send it
        schema = _without_null(schema)
        if schema.get("type") == "array":
            out[f"{name}[]"] = schema
        elif "properties" in schema:  # an object (or anything, where only an object is read)
            for member, inner in _form_properties(schema["properties"]).items():
                key = f"{name}[{member[:-2]}][]" if member.endswith("[]") else f"{name}[{member}]"
                out[key] = inner
        else:
            out[name] = schema
    return out


def request_body(
    properties: dict[str, Any],
    *,
    required: tuple[str, ...] = (),
    description: str = "",
    forms: tuple[str, ...] = FORM_TYPES[:1],
    any_of: list[dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """{media type: schema} for drf-spectacular (`extend_schema(request=...)` or a schema
    class's get_request_serializer): the JSON object and the same fields as a form. Every
    Mastodon view also parses multipart bodies; it is documented where clients send it (files)."""
    json_schema: dict[str, Any] = {"type": "object", "properties": copy.deepcopy(properties)}
    if required:
        json_schema["required"] = list(required)
    if any_of:
        json_schema["anyOf"] = any_of
    if description:
        json_schema["description"] = description
    bodies = {"application/json": json_schema}
    form: dict[str, Any] = {"type": "object", "properties": _form_properties(properties)}
    if required:
        form["required"] = list(required)
    if description:
        form["description"] = description
    for media_type in forms:
        bodies[media_type] = copy.deepcopy(form)
    return bodies
