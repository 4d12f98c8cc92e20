# Two commands set everything up on a fresh Debian machine with Python 3.11:
#   make run    install, migrate, seed the demo shop, serve on http://127.0.0.1:5000 (gunicorn)
#   make dev    the same with Flask's reloading development server
#   make test   install what the tests need (Debian packages included) and run the suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export FLASK_APP := wsgi

.PHONY: run dev prepare test install system-test-deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || ($(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv && $(PY) -m venv $(VENV))

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# The sandbox is mounted only when asked for; `demo seed` prints its control token.
# The URL the pages, the sandbox and PAYGENT's notices use: where this serves, unless given.
SERVE_ENV = SANDBOX_ENABLED=1 PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}

prepare: install
	$(BIN)/flask db upgrade
	$(SERVE_ENV) $(BIN)/flask demo seed

# Served as in production: gunicorn with gunicorn.conf.py (2 workers × 4 threads here).
run: prepare
	$(SERVE_ENV) GUNICORN_BIND=$(HOST):$(PORT) GUNICORN_WORKERS=$${GUNICORN_WORKERS:-2} \
	  $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

dev: prepare
	$(SERVE_ENV) $(BIN)/flask run --host $(HOST) --port $(PORT) --with-threads --reload

PG_PORT ?= 54329
REDIS_PORT ?= 63799
TEST_DEBS := chromium fonts-noto-cjk postgresql redis-server

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here); the
# suite runs a second time on real PostgreSQL and Redis servers started on the loopback
# (background work then goes through RQ).
system-test-deps:
	@dpkg -s $(TEST_DEBS) >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(TEST_DEBS))

# Both passes run on PYTEST_WORKERS processes (pytest-xdist; one per core here), each test file
# on one of them, so a file's module fixtures (a live shop, a browser) are made once; every
# worker has its own sandbox, databases (a PostgreSQL template of its own) and job queue.
# PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= 2
XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)

test: install system-test-deps
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)
	@echo "== unit and integration tests again, on PostgreSQL + Redis =="
	@dir=$$(mktemp -d /tmp/cart-pg.XXXXXX); chmod 755 $$dir; \
	  url=$$(scripts/pg-test-server.sh start $$dir $(PG_PORT)) || { cat $$dir/server.log; exit 1; }; \
	  redis=$$(scripts/redis-test-server.sh start $$dir/redis $(REDIS_PORT)) || \
	    { scripts/pg-test-server.sh stop $$dir; exit 1; }; \
	  TEST_POSTGRES_URL=$$url TEST_REDIS_URL=$$redis \
	    $(BIN)/python -m pytest tests/unit tests/integration $(XDIST) $(PYTEST_ARGS); \
	  status=$$?; scripts/redis-test-server.sh stop $$dir/redis; \
	  scripts/pg-test-server.sh stop $$dir; rm -rf $$dir; exit $$status

clean:
	rm -rf $(VENV) *.egg-info test-artifacts
