# kaipai: `make demo` and `make test` set up whatever is missing, then run. Safe to run again.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kaipai-installed
TORCH_VERSION ?= 2.13.0
APT_PACKAGES := ffmpeg espeak-ng fonts-wqy-microhei
TEST_APT_PACKAGES := chromium prometheus  # the run report is opened in headless Chromium; the Grafana queries run on Prometheus
OUT ?= out/demo
PYTEST_ARGS ?=

.PHONY: setup system venv demo test test-fast lint bench clean

setup: system venv

# Debian packages: installed when run as root, otherwise named so a user can install them.
system:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing"; echo "run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

venv: $(STAMP)

# torch goes in first, pinned, so nothing later pulls a different (CUDA) build.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==$(TORCH_VERSION)
	$(PY) -m pip install -q -e '.[models,optimal,dev]'
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/kaipai run examples/datong-wall/job.yaml --out $(OUT)

test: setup
	@$(MAKE) --no-print-directory system APT_PACKAGES="$(TEST_APT_PACKAGES)"
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -q -m 'not slow' $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(VENV)/bin/lint-imports

bench: setup
	$(PY) benchmarks/pipeline.py
	$(PY) benchmarks/workers.py
	$(PY) benchmarks/placement.py

clean:
	rm -rf out .kaipai .pytest_cache .ruff_cache
