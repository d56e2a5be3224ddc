# The two commands a new machine needs: `make run` and `make test`. Both set up what they need.
SHELL := /bin/bash
ROOT := $(abspath .)
NODE_BIN := $(ROOT)/node_modules/.bin
# The CDK CLI and the Go app's jsii runtime use the Node 22 that package.json pins.
# moto_server and cfn-lint: the user's own when on PATH, else the pinned ones `make tools` puts in .venv.
VENV ?= $(ROOT)/.venv
MOTO_VERSION := 5.2.1
CFN_LINT_VERSION := 1.51.0
export PATH := $(NODE_BIN):$(PATH):$(VENV)/bin
export JSII_NODE := $(NODE_BIN)/node
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_CLI_NOTICES := false
# The CLI's telemetry sends each command's record from a Node process of its own; a local
# synth, diff or test sends nothing.
export CDK_DISABLE_CLI_TELEMETRY := true
STAGE ?= dev

.PHONY: setup tools synth run test vet lint bench clean

setup: node_modules/.installed go.sum.downloaded

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Installs what is missing of moto_server and cfn-lint into $(VENV); where that cannot work, make
# stops with one line saying what to run (pip's own output goes to $(VENV)/pip.log). Where the
# machine's pip can install into another environment (pip >= 22.3: --python), the venv is made
# without a pip of its own: ensurepip, about 4.5 CPU-seconds, is not needed.
PY_TOOLS := 'moto[server]==$(MOTO_VERSION)' 'cfn-lint==$(CFN_LINT_VERSION)'
PIP_INSTALL := install --quiet --retries 1 --timeout 15 $(PY_TOOLS)
tools_script = command -v moto_server >/dev/null && command -v cfn-lint >/dev/null && exit 0; \
	command -v python3 >/dev/null || { echo "moto_server or cfn-lint is missing and there is no python3 to install them: install Python 3, or run pip install $(PY_TOOLS)"; exit 0; }; \
	{ test -x $(VENV)/bin/python3 || python3 -m venv --without-pip $(VENV) >/dev/null 2>&1; } && \
	{ test -x $(VENV)/bin/pip || python3 -m pip --python $(VENV)/bin/python3 --version >/dev/null 2>&1 || python3 -m venv $(VENV) >/dev/null 2>&1; } && \
	{ if test -x $(VENV)/bin/pip; then $(VENV)/bin/pip $(PIP_INSTALL); else python3 -m pip --python $(VENV)/bin/python3 $(PIP_INSTALL); fi; } >$(VENV)/pip.log 2>&1 || \
	echo "could not install moto_server and cfn-lint into $(VENV) (no access to the Python package index? see pip.log there): run pip install $(PY_TOOLS), or put both on PATH"
tools:
	@:$(eval tools_error := $(shell $(tools_script)))$(if $(tools_error),$(error $(tools_error)))

go.sum.downloaded: go.mod go.sum
	go mod download
	@touch $@

synth: setup
	cdk synth --quiet --strict -c stage=$(STAGE)
	@go run ./cmd/wildrydes describe --dir cdk.out

# The main job: synthesize, then run both stacks on this machine until Ctrl-C. The tool is built,
# not `go run`: `go run` exits 1 whenever it sees SIGINT, whatever its program does, and make
# would report that as a failure; the binary itself exits 0 after a clean stop.
run: tools synth
	@go build -o .bin/wildrydes ./cmd/wildrydes
	.bin/wildrydes local --dir cdk.out

vet: setup
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...

# CDK_VALIDATION=false keeps the fast assertion tests from starting the validation engine; the
# app's own test (cmd/app) synthesizes with the CLI, bundling and validation on.
# -p 4: the slow packages mostly wait (on moto, on Lambda's retry delays, on the browser), so four
# at a time finish sooner on two cores than go test's default of one per core (docs/PERFORMANCE.md).
# -vet=off: the vet target has just run all of go vet; go test's own subset would run it again.
# -ldflags=-w: test binaries without DWARF link in about a quarter less CPU (stacks' 114 MB binary:
# 5.5 → 4.1 CPU-s); a failing test's stack trace is unchanged.
# -o .bin/tests/: each package's test binary is kept there, and go relinks only the ones whose
# code changed (linking the 34 test binaries again took about 40 CPU-s of every run).
# withmoto: one moto_server for every test binary's local systems, each system in an AWS account
# of its own, instead of one moto_server started per test binary (about 3 CPU-s each).
test: setup tools vet
	@mkdir -p .bin/tests
	CDK_VALIDATION=false go run ./internal/tooling/local/localtest/withmoto go test -p 4 -count=1 -vet=off -ldflags=-w -o .bin/tests/ -timeout 30m ./...

# The handlers' Go benchmarks, then the same load against refactor step 0 and the final step on the
# local system; docs/PERFORMANCE.md has the figures and how they were measured.
bench: setup tools
	CDK_VALIDATION=false go test -run '^$$' -bench . -benchmem ./internal/...
	go run ./cmd/wildrydes bench

clean:
	rm -rf cdk.out go.sum.downloaded
