# Two commands set everything up on a fresh Debian machine with Python 3.11:
#   make run    install, migrate, seed the demo shop, serve on http://127.0.0.1:5000
#   make test   install what the tests need (Debian packages included) and run the suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export FLASK_APP := wsgi

.PHONY: run test install system-test-deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || ($(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv && $(PY) -m venv $(VENV))

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed
	$(BIN)/flask run --host $(HOST) --port $(PORT) --with-threads

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here).
system-test-deps:
	@dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk)

test: install system-test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) *.egg-info test-artifacts
