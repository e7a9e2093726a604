# TwinFlow: developer and operator commands. Run `make` to list them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --no-print-directory

.PHONY: help install init demo test lint build bench clean

help: ## List the targets
	@printf 'TwinFlow: make <target>\n\n'
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  make %-8s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

demo: ## Run TwinFlow with a demo tenant and data on this machine's Postgres and Redis
	ops/demo.sh

test: install ## Run every test (starts local Postgres and Redis if needed)
	ops/ensure-services.sh --test
	npx vitest run

install: node_modules/.package-lock.json ## Install dependencies (npm ci) when package-lock.json changed

node_modules/.package-lock.json: package-lock.json
	npm ci
	@touch $@

init: ## Write .env with fresh secrets and local defaults (never overwrites a set value)
	ops/init-env.sh

lint: install ## Type-check and lint
	npx tsc -p tsconfig.json --noEmit
	npx eslint .

build: install ## Compile to dist/ with views, static files and migrations
	rm -rf dist
	npx tsc -p tsconfig.build.json
	@for dir in app/src/web/views app/src/web/static app/migrations; do \
	  if [ -d "$$dir" ]; then mkdir -p "dist/$$dir" && cp -R "$$dir/." "dist/$$dir/"; fi; \
	done

bench: install ## Run bench/*.bench.ts and write docs/benchmarks.md
	npx tsx bench/run.ts

clean: ## Remove build output (dist/, coverage/); keeps .env and node_modules
	rm -rf dist coverage
