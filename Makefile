# Two commands from a fresh clone: `make run` and `make test`; `make` alone lists the others.
# Both create .venv with python3 (>= 3.11) and install the project into it.
# Every target has a `## ` line just above it: that line is what `make help` prints.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The second service (remote/) answers beside the site, on the next port unless told otherwise.
REMOTE_PORT ?= $(shell echo $$(($(PORT) + 1)))
STAMP := $(VENV)/.installed
# For test-latest: the newest Django needs Python 3.12+. Unless PYTHON_LATEST is given, the
# first that runs of python3.14/3.13/3.12 on PATH, then pyenv's installs, newest first (pyenv's
# shims on PATH only answer for the versions it has made active).
PYTHON_LATEST ?= $(shell \
	for p in python3.14 python3.13 python3.12 \
		$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/*/bin/python3 2>/dev/null | sort -rV); do \
		$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && \
			{ command -v $$p; break; }; \
	done)

.DEFAULT_GOAL := help
.PHONY: help run serve test test-fast lint format migrations-check browser cluster-deps cluster cluster-stop bench bench-cluster test-latest drill role-drill soak clean

## List the targets with what each does.
help:
	@awk '/^## / { doc = substr($$0, 4); next } \
		/^[a-z][a-z-]*:/ && doc { printf "  make %-17s %s\n", substr($$1, 1, length($$1) - 1), doc } \
		{ doc = "" }' $(MAKEFILE_LIST)

# .venv with the project installed, redone when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## The site on http://127.0.0.1:8000 (PORT) and the second service on PORT + 1 (REMOTE_PORT); a private Redis unless REDIS_URL is set.
run: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo
	DJANGO_DEBUG=1 $(BIN)/python -m tools.redis_server \
		$(BIN)/python -m tools.remote_service --site-port $(PORT) --port $(REMOTE_PORT) -- \
		$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Keys come from the environment (JWT_KEYS_DIR: a directory of signing keys), else fresh
# random ones for this run only, never the development key pair `make run` made.
## The site under gunicorn with production-shaped settings (DJANGO_SECURE=1) on loopback.
serve: $(STAMP)
	@export DJANGO_SECURE=1 DJANGO_DEBUG=0 DJANGO_SECURE_SSL_REDIRECT=0; \
	export DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')}"; \
	export JWT_SIGNING_KEY="$${JWT_SIGNING_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))')}"; \
	export JWT_KEYS_DIR="$${JWT_KEYS_DIR:-$$(mktemp -d)}"; \
	$(BIN)/python manage.py jwt_rotate_keys --initial && \
	$(BIN)/python manage.py check --deploy --fail-level WARNING && \
	$(BIN)/python manage.py collectstatic --no-input -v0 && \
	$(BIN)/python manage.py migrate --no-input && \
	exec $(BIN)/python -m tools.redis_server $(BIN)/gunicorn config.wsgi \
		--config python:config.gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --timeout 15 --graceful-timeout 5

## The whole suite, against a real Redis-protocol server and a real headless Chromium.
test: $(STAMP) migrations-check browser cluster-deps
	$(BIN)/python -m pytest

## The suite without the browser and cluster tests (their markers): the quick check while working.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not cluster"

## Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

## PostgreSQL and nginx from Debian's packages, for the cluster and its tests.
cluster-deps:
	@{ ls /usr/lib/postgresql/*/bin/initdb && command -v nginx; } >/dev/null 2>&1 || \
		{ apt-get update -qq && apt-get install -y -qq postgresql nginx-light; }

## Two app instances behind nginx, PostgreSQL, Redis primary + replica + 3 Sentinels, in the background.
cluster: $(STAMP) cluster-deps
	@test ! -f .cluster.pid || { echo "A cluster is already running (make cluster-stop)."; exit 1; }
	nohup $(BIN)/python -m tools.cluster > .cluster.log 2>&1 & echo $$! > .cluster.pid
	@for i in $$(seq 60); do grep -q "Cluster up" .cluster.log && break; sleep 1; done; cat .cluster.log

## Stop the cluster that `make cluster` started.
cluster-stop:
	@test -f .cluster.pid && kill $$(cat .cluster.pid) && rm -f .cluster.pid && echo "Cluster stopping." || echo "No cluster running."

## Every lane's throughput, auth-step cost and capacity, with intervals and an A/A band (QUICK=1: a short look).
bench: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python -m tools.redis_server $(BIN)/python manage.py authbench $(if $(QUICK),--quick)

## Throughput per lane through nginx with one and with two app instances.
bench-cluster: $(STAMP) cluster-deps
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python manage.py authbench --cluster $(if $(QUICK),--quick)

## The suite on the newest Django (6.x, Python 3.12+ found by itself), in .venv-latest.
test-latest: cluster-deps browser
	@python="$(PYTHON_LATEST)"; \
	test -n "$$python" || { echo "test-latest needs Python 3.12 or newer, and found none on PATH" \
		"or in pyenv: set PYTHON_LATEST=/path/to/python3.12"; exit 1; }; \
	echo "test-latest: $$python ($$($$python --version))"; \
	"$$python" -m venv .venv-latest && \
	.venv-latest/bin/python -m pip install --quiet -e ".[dev]" "Django>=6.1,<6.2" && \
	.venv-latest/bin/python -m pytest

## The revocation drill: how long each lane keeps accepting a revoked user.
drill: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python -m tools.redis_server $(BIN)/python manage.py revocation_drill

## The role drill: how long each lane, the second service's too, honours a removed staff role.
role-drill: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python -m tools.redis_server $(BIN)/python -m tools.remote_service --serve-site -- \
		$(BIN)/python manage.py role_drill

## Every lane under steady load with logins, refreshes and revocations; fails on any 5xx.
soak: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python -m tools.redis_server $(BIN)/python manage.py soak

## Fail if a model change has no migration.
migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

## ruff's lint rules, its formatting check and mypy's type check, as CI runs them.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --config-file remote/mypy.ini

## Let ruff fix what it can and format the code.
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Remove everything the targets create, stopping a running cluster first.
clean: cluster-stop
	rm -rf $(VENV) .venv-latest *.egg-info .ruff_cache .hypothesis db.sqlite3* .test-db.sqlite3* \
		staticfiles reports .cluster.pid .cluster.log .jwt-keys
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name '*.rdb' -type f -delete
