# Two commands set everything up on a fresh Debian/Ubuntu machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
export DJANGO_SETTINGS_MODULE ?= socialapp.settings.dev
PYTEST_ARGS ?=

.PHONY: help openapi venv services services-replica services-down services-status browser clients bench-tools migrate run test lint format bench bench-blocks bench-streaming bench-analytics bench-search-relevance conformance clean

help:
	@echo "make run      services up, migrations, API on :8000, streams on :8100, relay, workers (Ctrl-C stops all)"
	@echo "make test     services up, the whole test suite against real services"
	@echo "make bench    benchmarks (long); figures in bench/results/"
	@echo "make bench-blocks  the home feed with 1,000 blocks + 1,000 mutes vs none"
	@echo "make bench-streaming  2,000 SSE connections held a minute, commit -> pushed latency at 100 posts/s"
	@echo "make bench-analytics  trends' share of the pipeline's cost, trends/tags at a million uses, audit lookups"
	@echo "make bench-search-relevance  nDCG@10/recall@10 of search before vs after issue 18, posts search p50/p99 at 1M posts"
	@echo "make conformance   Mastodon.py's own test suite live against us; summary in .services/conformance/results.md"
	@echo "make lint     ruff check, format check and the import contracts (pyproject.toml)"
	@echo "make openapi  regenerate docs/openapi.yaml (the committed API contract; a test compares it with the server's)"
	@echo "make services-down   stop PostgreSQL (and its hot standby), RabbitMQ, Redis and Elasticsearch"

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || scripts/ensure-python-venv
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

services:
	@scripts/services up

# The services plus a PostgreSQL hot standby on 127.0.0.1:5433 streaming from the primary: the
# read-replica tests (tests/read/test_replica.py) query it, and under `make test` they must.
services-replica:
	@scripts/services up --replica

services-down:
	@scripts/services down

# Headless Chromium + chromedriver from Debian for the browser test (tests/browser); idempotent.
browser:
	@scripts/browser

# The client generators and checkers for tests/contract/test_generated_clients.py, pinned: openapi-python-client
# and mypy in .services/clients-venv, openapi-typescript, openapi-fetch and typescript by `npm ci` in
# clients/typescript (scripts/clients; idempotent).
clients:
	@scripts/clients

# wrk from Debian for the read benchmark (bench/reads.py); idempotent.
bench-tools:
	@scripts/bench-tools

services-status:
	@scripts/services status

migrate: venv services
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py migrate --database read --noinput -v 0
	$(BIN)/python manage.py search init

# One web on :$(RUN_PORT) (8000) serving both sides (no proxy: the split web-commands/web-queries is for
# deployments, docs/ops.md), the streaming server (web-streaming) on RUN_PORT + 100, the relay, a Celery task
# worker, Celery beat and one worker per registered projector (each process's $$PORT is its metrics port);
# honcho stops them all on Ctrl-C. honcho gives the n-th process type RUN_PORT + 100 n and web-streaming is
# the second, so the instance documents advertise ws://127.0.0.1:<RUN_PORT + 100> (docs/streaming.md).
RUN_PORT ?= 8000
run: migrate
	@mkdir -p .services
	$(BIN)/python manage.py projections procfile --single-web > .services/Procfile.run
	STREAMING_API_URL=$${STREAMING_API_URL:-ws://127.0.0.1:$$(( $(RUN_PORT) + 100 ))} \
	STREAMING_WEB_URL=$${STREAMING_WEB_URL:-http://127.0.0.1:$(RUN_PORT)} \
		exec $(BIN)/honcho start -f .services/Procfile.run -d . -p $(RUN_PORT)

test: venv services-replica browser clients
	SOCIALAPP_REQUIRE_REPLICA=1 DJANGO_SETTINGS_MODULE=socialapp.settings.test $(BIN)/pytest $(PYTEST_ARGS)

# The committed OpenAPI document: the schema the server generates (no database or service needed;
# byte-stable). tests/foundation/test_openapi_guard.py fails until it is regenerated after an API
# change, and compares it with docs/openapi-baseline.yaml (the last released API version) for
# breaking changes (devkit/openapi_guard.py, docs/api.md).
openapi: venv
	DJANGO_SETTINGS_MODULE=socialapp.settings.test $(BIN)/python manage.py spectacular --file docs/openapi.yaml --validate --fail-on-warn

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# DEBUG off for figures; seeds and rebuilds over millions of rows outlast the 30 s statement timeout.
# Also the convergence workload test at its full size (`make test` runs it at 2,000 events).
bench: migrate bench-tools
	SOCIALAPP_CONVERGENCE_EVENTS=5000 SOCIALAPP_TEST_TAG=_bench DJANGO_SETTINGS_MODULE=socialapp.settings.test \
		$(BIN)/pytest -q -p no:cacheprovider tests/read/test_convergence_workload.py
	DJANGO_DEBUG=0 DATABASE_STATEMENT_TIMEOUT=0 $(BIN)/python -m bench.run_all

# The home feed with 1,000 blocks + 1,000 mutes vs none (bench/blocks_mutes.py), alone.
bench-blocks: migrate bench-tools
	DJANGO_DEBUG=0 DATABASE_STATEMENT_TIMEOUT=0 $(BIN)/python -m bench.run_all bench.blocks_mutes

# 2,000 SSE connections on one streaming process for a minute, commit -> pushed at 100 posts/s, memory
# per idle connection (bench/streaming.py; its load client is Go, bench/streaming_client/).
bench-streaming: migrate bench-tools
	DJANGO_DEBUG=0 DATABASE_STATEMENT_TIMEOUT=0 $(BIN)/python -m bench.run_all bench.streaming

# Trends' share of the pipeline's cost, and trends/tags with a million tag uses (bench/trends.py);
# the audit trail's lookups on an 800,000-event log (bench/audit.py).
bench-analytics: migrate bench-tools
	DJANGO_DEBUG=0 DATABASE_STATEMENT_TIMEOUT=0 $(BIN)/python -m bench.run_all bench.trends bench.audit

# Search relevance (nDCG@10, recall@10 on the labelled corpus in bench/data/search_relevance/) and posts
# search p50/p99 at 1,000,000 posts, the pre-issue-18 search vs the current one (bench/search_relevance.py).
bench-search-relevance: migrate
	DJANGO_DEBUG=0 DATABASE_STATEMENT_TIMEOUT=0 $(BIN)/python -m bench.run_all bench.search_relevance

# Mastodon.py 2.3.3's own test suite, live against our server on :3000 (CONFORMANCE_PORT) on databases,
# a vhost, indexes and cache keys of its own (devkit/conformance.py, docs/mastodon-conformance.md). Not part
# of `make test`. CONFORMANCE_TESTS="tests/test_status.py ..." picks modules; CONFORMANCE_STRICT=1 fails on failures.
conformance: migrate
	$(BIN)/python -m devkit.conformance

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
