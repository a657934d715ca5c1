"""Generated clients prove the API contract (issue 19): from the LIVE schema of a running server,
openapi-python-client and openapi-typescript (+ openapi-fetch) generate our own API's clients,
mypy --strict and tsc (strict) check them together with a flow that uses them, and each flow runs
against the server: register, a 409 problem read as the `Problem` model, follow (the followee's
profile and notifications read with the follow's X-Consistency-Token), post, the home feed and
search read with the post's token, delete, and a 404 problem with the delete's token
(clients/python/flow.py, clients/typescript/flow.mts).

The server is tests/mastodon/live.py's `live_stack`: pytest-django's live server with the relay
and the projector workers beside it, so that consistency tokens are really waited on. The tools
are pinned (clients/python/requirements.txt, clients/typescript/package-lock.json) and installed
by scripts/clients, which `make test` runs first (`make clients`); the test runs it too, which
is instant when nothing changed. devkit/clients.py has the steps, and why only our own API is
generated (the Mastodon face has Mastodon's own clients: tests/mastodon).
"""

from __future__ import annotations

import pytest

from devkit import clients
from devkit.clients import Step
from tests.mastodon.live import live_stack  # noqa: F401 - fixture


def test_own_api_keeps_our_paths_and_the_components_they_reach() -> None:
    schema = {
        "openapi": "3.0.3",
        "paths": {
            "/api/socialapp/v1/posts": {"post": {"responses": {"201": {"$ref": "#/components/responses/Made"}}}},
            "/api/v1/statuses": {"post": {"responses": {"200": {"$ref": "#/components/schemas/Status"}}}},
        },
        "components": {
            "responses": {"Made": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Post"}}}}},
            "schemas": {
                "Post": {"properties": {"author": {"$ref": "#/components/schemas/Author"}}},
                "Author": {"type": "object"},
                "Status": {"type": "object"},
            },
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
    own = clients.own_api(schema)
    assert list(own["paths"]) == ["/api/socialapp/v1/posts"]
    assert own["components"] == {
        "responses": schema["components"]["responses"],
        "schemas": {"Author": {"type": "object"}, "Post": schema["components"]["schemas"]["Post"]},
        "securitySchemes": schema["components"]["securitySchemes"],
    }
    assert "/api/v1/statuses" in schema["paths"]  # the input is left whole


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_generated_clients_type_check_and_run_a_flow_against_the_live_server(live_stack, tmp_path) -> None:  # noqa: F811
    installed = clients.install()
    assert installed.ok, installed.report()
    schema = clients.own_api(clients.fetch_schema(live_stack.url))
    assert schema["paths"] and all(path.startswith(clients.OWN_PREFIX) for path in schema["paths"])

    steps: list[Step] = clients.generate(schema, tmp_path)
    if all(step.ok for step in steps):
        python_checked, typescript_checked = clients.check_python(tmp_path), clients.check_typescript(tmp_path)
        steps += [python_checked, typescript_checked]
        # Each flow runs when its own check passed: one client's failure still shows the other's.
        if python_checked.ok:
            steps.append(clients.run_python_flow(tmp_path, live_stack.url))
        if typescript_checked.ok:
            steps.append(clients.run_typescript_flow(tmp_path, live_stack.url))
    failed = [step for step in steps if not step.ok]
    assert not failed and len(steps) == 6, "\n\n".join(step.report() for step in failed or steps)
    for step in steps:
        print(f"{step.seconds:5.1f} s  {step.what}")
    assert "python flow ok" in steps[4].output and "typescript flow ok" in steps[5].output
