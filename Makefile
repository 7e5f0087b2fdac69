# The two set-up commands of the README:
#   make run   installs everything into .venv and serves http://127.0.0.1:8080 (SQLite, no Redis)
#   make test  installs what the tests need and runs the whole suite (with a real
#              Rasa server: built and trained in the background, cached in ~/.cache/tsunagu)
# Both work on a fresh checkout; each step is safe to repeat.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test install install-test widget browser services lint rasa

run: install widget
	$(VENV)/bin/tsunagu serve

# `rasa` comes first: it only starts the Rasa build in the background.
# pytest runs on every core (at most 4); tests/conftest.py groups the tests
# (a module, or the tests of one Rasa server) that must share a worker.
test: rasa install-test widget browser services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -n auto --maxprocesses=4 --dist loadgroup

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(PY)
	$(PY) -m pip install --quiet -e .

install-test: $(PY)
	$(PY) -m pip install --quiet -e '.[test]'

# The visitor widget and console bundles (TypeScript, esbuild); needs Node.js 20+.
widget:
	npm --prefix widget ci --no-audit --no-fund --loglevel=error
	npm --prefix widget run build

# Debian's Chromium for the browser tests (test tools may not download a browser),
# with a CJK font so that screenshots of Japanese text are legible.
browser:
	@{ command -v chromium >/dev/null 2>&1 && dpkg -s fonts-noto-cjk >/dev/null 2>&1; } || { \
	  echo "installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# PostgreSQL and Redis on this machine: start them if they are down.
services:
	@bash scripts/ensure-services.sh

# Rasa Open Source 3.6 in its own Python 3.10 environment and the test
# assistants' models, cached outside the checkout (scripts/rasa-prepare.sh);
# started in the background, waited for by the Rasa tests, which run last.
rasa:
	@bash scripts/rasa-prepare.sh

lint:
	$(VENV)/bin/ruff check .
