"""Generated clients from the live schema: what tests/contract/test_generated_clients.py runs to
prove that a client generator can trust our OpenAPI document, and what a developer runs to get
the same clients (docs/api.md, "Generated clients").

    scripts/clients                                     # the pinned generators (make clients)
    python -m devkit.clients http://127.0.0.1:8000 /tmp/clients

writes /tmp/clients/python/socialapp_client (openapi-python-client) and
/tmp/clients/typescript/schema.ts (openapi-typescript, for openapi-fetch) from the running
server's GET /api/socialapp/v1/schema.

Only our own API is generated: the Mastodon face (/api/v1, /api/v2, /oauth) is for Mastodon's
own clients (Mastodon.py and toot prove it in tests/mastodon). Both generators accept the whole
document; leaving the Mastodon face out keeps the generated client to the API it is for (and
halves the generation and type-checking time).

The tools come from scripts/clients: openapi-python-client and mypy in a venv of their own
(.services/clients-venv, pinned by clients/python/requirements.txt), openapi-typescript,
openapi-fetch and typescript in clients/typescript/node_modules (package-lock.json).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CLIENTS = REPO / "clients"
VENV = REPO / ".services" / "clients-venv"
TS = CLIENTS / "typescript"
SCHEMA_PATH = "/api/socialapp/v1/schema"
OWN_PREFIX = "/api/socialapp/"
PACKAGE = "socialapp_client"
STEP_TIMEOUT = 300.0


@dataclass
class Step:
    """One command's outcome, kept whole so that a failing test prints what the tool said."""

    what: str
    args: list[str]
    returncode: int
    output: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def report(self) -> str:
        return f"== {self.what} (exit {self.returncode}, {self.seconds:.1f} s): {' '.join(self.args)}\n{self.output}"


def install() -> Step:
    """The pinned generators and checkers (idempotent: nothing to do when the stamps match)."""
    return run("install the generators (scripts/clients)", [str(REPO / "scripts" / "clients")])


def fetch_schema(base_url: str) -> dict[str, Any]:
    """The live OpenAPI document, as JSON (the schema view answers YAML unless asked)."""
    request = urllib.request.Request(base_url.rstrip("/") + SCHEMA_PATH, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def own_api(schema: dict[str, Any]) -> dict[str, Any]:
    """The document with only our own API's paths and the components they reach ($ref closure),
    so that no Mastodon schema is generated."""
    doc = dict(schema)
    doc["paths"] = {path: item for path, item in schema["paths"].items() if path.startswith(OWN_PREFIX)}
    components = schema.get("components", {})
    reached: dict[str, set[str]] = {}
    pending = _refs(doc["paths"])
    while pending:
        ref = pending.pop()
        _, _, kind, name = ref.split("/", 3)  # "#/components/<kind>/<name>"
        if name in reached.setdefault(kind, set()):
            continue
        reached[kind].add(name)
        pending |= _refs(components[kind][name])
    kept = {kind: {name: components[kind][name] for name in sorted(names)} for kind, names in reached.items()}
    if "securitySchemes" in components:  # referred to by name from `security`, never by $ref
        kept["securitySchemes"] = components["securitySchemes"]
    doc["components"] = kept
    return doc


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def generate(schema: dict[str, Any], out: Path) -> list[Step]:
    """Both clients from `schema` (already filtered) into `out`/python and `out`/typescript."""
    out.mkdir(parents=True, exist_ok=True)
    document = out / "openapi.json"
    document.write_text(json.dumps(schema, indent=1))
    (out / "typescript").mkdir(exist_ok=True)
    return [
        run(
            "generate the Python client (openapi-python-client)",
            [
                str(VENV / "bin" / "openapi-python-client"),
                "generate",
                "--path",
                str(document),
                "--config",
                str(CLIENTS / "python" / "config.yaml"),
                "--meta",
                "none",
                "--output-path",
                str(out / "python" / PACKAGE),
                "--overwrite",
                "--fail-on-warning",
            ],
        ),
        run(
            "generate the TypeScript types (openapi-typescript)",
            [
                str(TS / "node_modules" / ".bin" / "openapi-typescript"),
                str(document),
                "-o",
                str(out / "typescript" / "schema.ts"),
            ],
        ),
    ]


def check_python(out: Path) -> Step:
    """mypy --strict over the generated package and the flow (the flow imports the package)."""
    flow = out / "python" / "flow.py"
    shutil.copyfile(CLIENTS / "python" / "flow.py", flow)
    return run(
        "type-check the Python client and flow (mypy --strict)",
        [
            str(VENV / "bin" / "mypy"),
            "--strict",
            "--cache-dir",
            str(VENV / "mypy-cache"),
            "--config-file",
            str(CLIENTS / "python" / "mypy.ini"),
            str(out / "python" / PACKAGE),
            str(flow),
        ],
        cwd=out / "python",
    )


def check_typescript(out: Path) -> Step:
    """tsc, strict (clients/typescript/tsconfig.json), over the generated types and the flow; it
    emits flow.mjs only when the check passes (noEmitOnError)."""
    work = out / "typescript"
    shutil.copyfile(TS / "flow.mts", work / "flow.mts")
    modules = work / "node_modules"
    if not modules.exists():
        modules.symlink_to(TS / "node_modules", target_is_directory=True)
    config = {"extends": str(TS / "tsconfig.json"), "compilerOptions": {"outDir": "build"}, "files": ["flow.mts"]}
    (work / "tsconfig.json").write_text(json.dumps(config, indent=1))
    return run(
        "type-check and compile the TypeScript flow (tsc)",
        [str(TS / "node_modules" / ".bin" / "tsc"), "-p", str(work)],
        cwd=work,
    )


def run_python_flow(out: Path, base_url: str) -> Step:
    return run(
        "the Python flow against the live server",
        [str(VENV / "bin" / "python"), str(out / "python" / "flow.py"), base_url],
        cwd=out / "python",
        env={"PYTHONPATH": str(out / "python")},
    )


def run_typescript_flow(out: Path, base_url: str) -> Step:
    return run(
        "the TypeScript flow against the live server",
        ["node", str(out / "typescript" / "build" / "flow.mjs"), base_url],
        cwd=out / "typescript",
    )


def run(what: str, args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Step:
    """Run one tool with the generators' venv first on PATH (openapi-python-client's post-hooks
    call its own pinned ruff), stdout and stderr together."""
    environ = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {})}
    environ.pop("PYTHONHOME", None)
    started = time.monotonic()
    try:
        done = subprocess.run(
            args,
            cwd=cwd,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=STEP_TIMEOUT,
        )
        code, output = done.returncode, done.stdout
    except subprocess.TimeoutExpired as exc:
        code, output = -1, f"timed out after {STEP_TIMEOUT:.0f} s\n{exc.output or ''}"
    except FileNotFoundError as exc:
        code, output = -1, f"{exc} (run scripts/clients, or `make clients`)"
    return Step(what, args, code, output, time.monotonic() - started)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, out = argv[0], Path(argv[1])
    steps = [install()]
    if steps[0].ok:
        steps += generate(own_api(fetch_schema(base_url)), out)
    for step in steps:
        print(step.report() if not step.ok else f"ok: {step.what} ({step.seconds:.1f} s)", file=sys.stderr)
    return 0 if all(step.ok for step in steps) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
