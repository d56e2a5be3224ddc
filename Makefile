# The two commands a new machine needs: `make run` and `make test`. Both set up what they need.
SHELL := /bin/bash
ROOT := $(abspath .)
NODE_BIN := $(ROOT)/node_modules/.bin
# The CDK CLI and the Go app's jsii runtime use the Node 22 that package.json pins.
export PATH := $(NODE_BIN):$(PATH)
export JSII_NODE := $(NODE_BIN)/node
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_CLI_NOTICES := false
STAGE ?= dev

.PHONY: setup synth run test vet lint bench clean

setup: node_modules/.installed go.sum.downloaded

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

go.sum.downloaded: go.mod go.sum
	go mod download
	@touch $@

synth: setup
	cdk synth --quiet --strict -c stage=$(STAGE)
	@go run ./cmd/wildrydes describe --dir cdk.out

# The main job: synthesize, then run both stacks on this machine until Ctrl-C. The tool is built,
# not `go run`: `go run` exits 1 whenever it sees SIGINT, whatever its program does, and make
# would report that as a failure; the binary itself exits 0 after a clean stop.
run: synth
	@go build -o .bin/wildrydes ./cmd/wildrydes
	.bin/wildrydes local --dir cdk.out

vet: setup
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...

# CDK_VALIDATION=false keeps the fast assertion tests from starting the validation engine; the
# app's own test (cmd/app) synthesizes with the CLI, bundling and validation on.
test: setup vet
	CDK_VALIDATION=false go test -count=1 -timeout 30m ./...

# The handlers' Go benchmarks, then the same load against refactor step 0 and the final step on the
# local system; docs/PERFORMANCE.md has the figures and how they were measured.
bench: setup
	CDK_VALIDATION=false go test -run '^$$' -bench . -benchmem ./internal/...
	go run ./cmd/wildrydes bench

clean:
	rm -rf cdk.out go.sum.downloaded
