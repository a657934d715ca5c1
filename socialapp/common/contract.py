"""The parts of the OpenAPI document that state what the server enforces beyond single fields,
and how its operations chain: two drf-spectacular postprocessing hooks (SPECTACULAR_SETTINGS).

- `state_serializer_rules`: a serializer whose `validate` adds a rule over several fields (give
  one of these, exactly one of those) states it as `schema_constraints` (JSON Schema keywords:
  minProperties, oneOf...), merged into its component here, so the rule lives next to the code
  that enforces it.
- `link_operations`: OpenAPI `links` from the operations that create something to those that
  read or change it (a post's id from POST /posts to GET /posts/{post_id}, ...). Client
  generators and fuzzers (schemathesis' stateful phase, tests/contract) follow them. A link to a
  query carries the command's `X-Consistency-Token`: the read side is eventually consistent, and
  sending the token back is how a client reads its own write (docs/api.md, "Consistency headers").
"""

from __future__ import annotations

import copy
from typing import Any

from socialapp.common.schema import OWN_PREFIX

TOKEN = "$response.header.X-Consistency-Token"


def state_serializer_rules(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry: every serializer's `schema_constraints` into its component."""
    schemas = result.get("components", {}).get("schemas", {})
    for component in generator.registry._components.values():  # drf-spectacular's registry
        constraints = getattr(component.object, "schema_constraints", None)
        if component.type == "schemas" and constraints and component.name in schemas:
            schemas[component.name].update(copy.deepcopy(constraints))
    # A body that must have a property must be sent (drf-spectacular makes a body required only
    # when one of its properties is).
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            for media in (body or {}).get("content", {}).values():
                name = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
                if schemas.get(name, {}).get("minProperties", 0) >= 1 or "oneOf" in schemas.get(name, {}):
                    body["required"] = True
    return result


# (method, path, status) -> [(link name, method, path, parameters)]: parameters as OpenAPI link
# parameters (`path.x`, `query.x`, `header.x`), values runtime expressions. A link to a query
# (GET) gets the consistency token added.
P = OWN_PREFIX
POST = {"path.post_id": "$response.body#/id"}
POST_OF_COMMENT = {"path.post_id": "$response.body#/post_id"}
COMMENT = {"path.comment_id": "$response.body#/id"}
SAME_POST = {"path.post_id": "$request.path.post_id"}
NEW_USER = {"path.username": "$response.body#/username"}
FOLLOWED = {"path.username": "$response.body#/followee_username"}
LINKS: dict[tuple[str, str, str], list[tuple[str, str, str, dict[str, str]]]] = {
    ("post", f"{P}posts", "201"): [
        ("ReadPost", "get", f"{P}posts/{{post_id}}", POST),
        ("EditPost", "patch", f"{P}posts/{{post_id}}", POST),
        ("DeletePost", "delete", f"{P}posts/{{post_id}}", POST),
        ("LikePost", "put", f"{P}posts/{{post_id}}/like", POST),
        ("UnlikePost", "delete", f"{P}posts/{{post_id}}/like", POST),
        ("ListComments", "get", f"{P}posts/{{post_id}}/comments", POST),
        ("CommentOnPost", "post", f"{P}posts/{{post_id}}/comments", POST),
    ],
    ("patch", f"{P}posts/{{post_id}}", "200"): [("ReadPost", "get", f"{P}posts/{{post_id}}", POST)],
    ("delete", f"{P}posts/{{post_id}}", "204"): [("ReadPost", "get", f"{P}posts/{{post_id}}", SAME_POST)],
    ("put", f"{P}posts/{{post_id}}/like", "200"): [("ReadPost", "get", f"{P}posts/{{post_id}}", SAME_POST)],
    ("post", f"{P}posts/{{post_id}}/comments", "201"): [
        ("EditComment", "patch", f"{P}comments/{{comment_id}}", COMMENT),
        ("DeleteComment", "delete", f"{P}comments/{{comment_id}}", COMMENT),
        ("ListComments", "get", f"{P}posts/{{post_id}}/comments", POST_OF_COMMENT),
    ],
    ("patch", f"{P}comments/{{comment_id}}", "200"): [
        ("ListComments", "get", f"{P}posts/{{post_id}}/comments", POST_OF_COMMENT),
    ],
    ("post", f"{P}auth/register", "201"): [
        ("ReadUser", "get", f"{P}users/{{username}}", NEW_USER),
        ("ListPosts", "get", f"{P}users/{{username}}/posts", NEW_USER),
        ("Follow", "put", f"{P}users/{{username}}/follow", NEW_USER),
        ("Unfollow", "delete", f"{P}users/{{username}}/follow", NEW_USER),
        ("Block", "put", f"{P}users/{{username}}/block", NEW_USER),
        ("Unblock", "delete", f"{P}users/{{username}}/block", NEW_USER),
        ("Mute", "put", f"{P}users/{{username}}/mute", NEW_USER),
        ("Unmute", "delete", f"{P}users/{{username}}/mute", NEW_USER),
    ],
    ("put", f"{P}users/{{username}}/follow", "200"): [
        ("ListFollowers", "get", f"{P}users/{{username}}/followers", FOLLOWED),
        ("ReadUser", "get", f"{P}users/{{username}}", FOLLOWED),
    ],
}


def link_operations(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry: LINKS into the responses they start from (by operationId)."""
    paths = result.get("paths", {})
    for (method, path, status), targets in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        links = response.setdefault("links", {})
        for name, target_method, target_path, parameters in targets:
            target = paths.get(target_path, {}).get(target_method)
            if target is None:
                continue
            parameters = dict(parameters)
            if target_method == "get":
                parameters["header.X-Consistency-Token"] = TOKEN
            links[name] = {"operationId": target["operationId"], "parameters": parameters}
    return result
