# TwinFlow: developer and operator commands. Run `make` to list them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --no-print-directory

.PHONY: help install init demo test lint build bench clean up down logs compose-check backup restore-drill provision

help: ## List the targets
	@printf 'TwinFlow: make <target>\n\n'
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  make %-8s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

demo: ## Run TwinFlow with a demo tenant and data on this machine's Postgres and Redis
	ops/demo.sh

test: install ## Run every test (starts local Postgres and Redis if needed)
	ops/ensure-services.sh --test
	ops/ensure-tools.sh
	npx vitest run

install: node_modules/.package-lock.json ## Install dependencies (npm ci) when package-lock.json changed

node_modules/.package-lock.json: package-lock.json
	npm ci
	@touch $@

# Compose reads compose/.env alone, whatever TWINFLOW_ENV_FILE names.
init: ## Write .env and compose/.env with fresh secrets and defaults (never overwrites a set value)
	ops/init-env.sh
	env -u TWINFLOW_ENV_FILE ops/init-env.sh --compose

lint: install ## Type-check and lint
	npx tsc -p tsconfig.json --noEmit
	npx eslint .

build: install ## Compile to dist/ with views, static files and migrations
	rm -rf dist
	npx tsc -p tsconfig.build.json
	@for dir in app/src/web/views app/src/web/static app/migrations; do \
	  if [ -d "$$dir" ]; then mkdir -p "dist/$$dir" && cp -R "$$dir/." "dist/$$dir/"; fi; \
	done

backup: install ## Back up the database now: gated dump, retention, off-site copy (settings from .env; docs/backups.md)
	bin/twinflow backup-now

# FROM=offsite restores the newest off-site copy instead of the newest local one.
restore-drill: install ## Restore the newest backup into a scratch database and check it (FROM=offsite for the off-site copy)
	bin/twinflow restore-drill --from $(or $(FROM),local)

bench: install build ## Run bench/*.bench.ts and write docs/benchmarks.md
	npx tsx bench/run.ts

clean: ## Remove build output (dist/, coverage/); keeps .env and node_modules
	rm -rf dist coverage

# docker compose (v2) where the engine has it, else the standalone docker-compose.
COMPOSE = $(shell docker compose version >/dev/null 2>&1 && echo 'docker compose' || echo docker-compose) -f compose/docker-compose.yml

up: ## Build and start the appliance (nginx, web, worker, scheduler, Postgres, Redis) with compose/.env
	@[[ -f compose/.env ]] || { echo 'compose/.env is missing: run make init first' >&2; exit 1; }
	$(COMPOSE) up -d --build
	@# nginx resolves web's address when it loads its config; a recreated web may have a new one.
	$(COMPOSE) restart nginx

down: ## Stop the appliance; its volumes (database, certificates) stay
	$(COMPOSE) down

logs: ## Follow the appliance's logs
	$(COMPOSE) logs --follow --tail=100

# The example leaves secrets empty, and compose refuses an empty required one: give them placeholders.
COMPOSE_PLACEHOLDER_SECRETS = $(shell sed -n 's/^\([A-Z0-9_]*\)=$$/\1=placeholder/p' compose/.env.example)

compose-check: ## Validate the compose files (base, and with the dev override) with docker-compose
	ops/ensure-tools.sh
	env $(COMPOSE_PLACEHOLDER_SECRETS) docker-compose -f compose/docker-compose.yml --env-file compose/.env.example config -q
	env $(COMPOSE_PLACEHOLDER_SECRETS) docker-compose -f compose/docker-compose.yml -f compose/docker-compose.dev.yml --env-file compose/.env.example config -q

# Ansible reads ansible/ansible.cfg only when pointed at it from here. The vault password is
# asked for unless VAULT_PASSWORD_FILE names a file holding it; ANSIBLE_ARGS go to
# ansible-playbook as they are (--check --diff, -e ansible_user=root for a first run).
provision: ## Harden a Debian 12 server and deploy TwinFlow (INVENTORY=path, see ansible/README.md)
	@[[ -n "$(INVENTORY)" ]] || { echo 'make provision needs INVENTORY=path/to/hosts.ini: see ansible/README.md' >&2; exit 1; }
	@[[ -e "$(INVENTORY)" ]] || { echo 'make provision: $(INVENTORY) does not exist: copy ansible/inventory.example.ini there and edit it' >&2; exit 1; }
	@command -v ansible-playbook >/dev/null || { echo 'make provision needs Ansible on this machine: sudo apt-get install ansible' >&2; exit 1; }
	ANSIBLE_CONFIG=ansible/ansible.cfg ansible-playbook -i "$(INVENTORY)" ansible/site.yml \
	  $(if $(VAULT_PASSWORD_FILE),--vault-password-file "$(VAULT_PASSWORD_FILE)",--ask-vault-pass) $(ANSIBLE_ARGS)
