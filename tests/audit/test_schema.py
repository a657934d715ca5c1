"""Both audit routes are in the OpenAPI document, with their parameters and explicit responses."""

from __future__ import annotations

from tests.read.test_schema import generated_schema

BASE = "/api/socialapp/v1/admin/aggregates/{aggregate_type}/{aggregate_id}"


def test_the_audit_routes_are_documented() -> None:
    schema = generated_schema()
    components = schema["components"]["schemas"]
    for path, operation_id, query, body in [
        (BASE + "/events", "admin_aggregate_events", {"limit", "cursor"}, "AggregateEventsPageOut"),
        (BASE, "admin_aggregate_state", {"as_of"}, "AggregateStateOut"),
    ]:
        op = schema["paths"][path]["get"]
        assert op["operationId"] == operation_id and op["tags"] == ["admin"]
        parameters = {p["name"]: p for p in op["parameters"]}
        assert {n for n, p in parameters.items() if p["in"] == "query"} == query
        assert parameters["aggregate_type"]["schema"]["enum"][:3] == ["user", "post", "comment"]
        assert parameters["aggregate_id"]["schema"]["maxLength"] == 39
        assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/" + body)
        assert {"400", "401", "403", "404"} <= set(op["responses"])
    assert set(components["AggregateStateOut"]["properties"]) >= {"version", "state", "profile", "latest_version"}
    assert set(components["LogEventOut"]["properties"]) >= {"position", "event_id", "event_type", "payload"}
