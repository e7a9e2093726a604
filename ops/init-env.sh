#!/usr/bin/env bash
# Writes .env for this machine, or compose/.env for the appliance (both run by `make init`).
#
# Creates the file, or fills in what is missing. A value already set is never changed:
# its line stays byte-identical. An empty value (`NAME=`, `NAME=""`) counts as unset and
# is filled in place. Secrets are generated fresh; only their names are printed.
#
#   ops/init-env.sh                                   # .env: local processes (bin/twinflow)
#   ops/init-env.sh --compose                         # compose/.env: docker compose
#   TWINFLOW_ENV_FILE=/path/to/file ops/init-env.sh   # write somewhere else (tests)
set -euo pipefail

((BASH_VERSINFO[0] >= 4)) || { echo "init-env: needs bash 4 or newer (on macOS: brew install bash)" >&2; exit 1; }

die() {
  printf 'init-env: %s\n' "$*" >&2
  exit 1
}

case "$*" in
  "") mode=dev ;;
  --compose) mode=compose ;;
  *) die "unknown argument $*: usage: ops/init-env.sh [--compose]" ;;
esac

root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ops/lib/env-file.sh
source "$root/ops/lib/env-file.sh"
default_env_file="$root/.env"
[[ $mode == compose ]] && default_env_file="$root/compose/.env"
env_file="${TWINFLOW_ENV_FILE:-$default_env_file}"

env_dir="$(dirname "$env_file")"
[[ -d $env_dir ]] || die "directory $env_dir does not exist: create it, or point TWINFLOW_ENV_FILE at a file in an existing directory"
[[ ! -e $env_file || -f $env_file ]] || die "$env_file exists but is not a regular file: move it away and run make init again"
[[ ! -e $env_file || (-r $env_file && -w $env_file) ]] || die "cannot read and write $env_file: fix its ownership (it should belong to $(id -un)) and run make init again"

umask 077

# --- random values ---------------------------------------------------------------------

have_openssl() { command -v openssl >/dev/null 2>&1; }

# base64 of N random bytes, one line
rand_base64() {
  local out
  if have_openssl; then
    out="$(openssl rand -base64 "$1" | tr -d '\n')"
  else
    out="$(head -c "$1" /dev/urandom | base64 | tr -d '\n')"
  fi
  [[ ${#out} -ge $(((4 * $1 + 2) / 3)) ]] || die "could not generate random bytes: install openssl (apt-get install openssl)"
  printf '%s' "$out"
}

# hex of N random bytes (URL-safe)
rand_hex() {
  local out
  if have_openssl; then
    out="$(openssl rand -hex "$1" | tr -d '\n')"
  else
    out="$(head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n')"
  fi
  [[ ${#out} -eq $((2 * $1)) ]] || die "could not generate random bytes: install openssl (apt-get install openssl)"
  printf '%s' "$out"
}

# --- what the file should hold, in the order a fresh file lists it ---------------------

vault_keys_comment="# Encrypts stored credentials: keyId:base64key entries, newest first. Back it up; losing it loses the credentials."
session_secret_comment="# Signs session and CSRF tokens (base64, 32 bytes)."

# kind: secret (generated), default (a local-machine default), derived (a default built from a secret)
if [[ $mode == dev ]]; then
  about='TwinFlow settings for this machine, written by `make init` (ops/init-env.sh).'
  described_in='.env.example and README.md'
  keys=(
    NODE_ENV PUBLIC_URL HOST PORT
    POSTGRES_PASSWORD POSTGRES_APP_PASSWORD DATABASE_URL DATABASE_OWNER_URL DATABASE_ADMIN_URL
    REDIS_URL REDIS_PASSWORD
    TWINFLOW_VAULT_KEYS SESSION_SECRET
    DEMO_PASSWORD
  )
  declare -A comment=(
    [NODE_ENV]="# production, development or test. This file is for a development machine."
    [PUBLIC_URL]="# The address users open; the web process listens on HOST:PORT."
    [HOST]=""
    [PORT]=""
    [POSTGRES_PASSWORD]="# Postgres roles: the owner role (migrations) and the runtime role (web, worker, scheduler).
# These passwords are the ones in the URLs below (compose reads compose/.env instead)."
    [POSTGRES_APP_PASSWORD]=""
    [DATABASE_URL]=""
    [DATABASE_OWNER_URL]=""
    [DATABASE_ADMIN_URL]="# A Postgres superuser, used only by \`twinflow bootstrap-db\` to create the roles and database."
    [REDIS_URL]="# The local development Redis has no password. Compose and production use REDIS_PASSWORD:
# REDIS_URL=redis://:REDIS_PASSWORD@host:6379/0"
    [REDIS_PASSWORD]=""
    [TWINFLOW_VAULT_KEYS]="$vault_keys_comment"
    [SESSION_SECRET]="$session_secret_comment"
    [DEMO_PASSWORD]="# Password of demo@twinflow.local in the demo tenant (\`make demo\`)."
  )
  declare -A kind=(
    [NODE_ENV]=default [PUBLIC_URL]=default [HOST]=default [PORT]=default
    [POSTGRES_PASSWORD]=secret [POSTGRES_APP_PASSWORD]=secret
    [DATABASE_URL]=default [DATABASE_OWNER_URL]=default [DATABASE_ADMIN_URL]=default
    [REDIS_URL]=default [REDIS_PASSWORD]=secret
    [TWINFLOW_VAULT_KEYS]=secret [SESSION_SECRET]=secret [DEMO_PASSWORD]=secret
  )
else
  about='TwinFlow appliance settings for docker compose, written by `make init` (ops/init-env.sh --compose).'
  described_in='compose/.env.example'
  keys=(
    COMPOSE_PROJECT_NAME PUBLIC_URL TWINFLOW_SERVER_NAME
    POSTGRES_SUPERUSER_PASSWORD POSTGRES_OWNER_PASSWORD POSTGRES_APP_PASSWORD REDIS_PASSWORD
    TWINFLOW_VAULT_KEYS SESSION_SECRET
  )
  declare -A comment=(
    [COMPOSE_PROJECT_NAME]="# Names the containers and networks (twinflow-web-1, twinflow_backend)."
    [PUBLIC_URL]="# The address users open (https://); nginx answers for TWINFLOW_SERVER_NAME, its host."
    [TWINFLOW_SERVER_NAME]=""
    [POSTGRES_SUPERUSER_PASSWORD]="# Postgres: the superuser (only the one-shot prepare-db uses it), the owner role (migrations)
# and the runtime role (web, worker, scheduler). Compose builds the database URLs from them."
    [POSTGRES_OWNER_PASSWORD]=""
    [POSTGRES_APP_PASSWORD]=""
    [REDIS_PASSWORD]="# Redis requires this password; compose builds REDIS_URL from it."
    [TWINFLOW_VAULT_KEYS]="$vault_keys_comment"
    [SESSION_SECRET]="$session_secret_comment"
  )
  declare -A kind=(
    [COMPOSE_PROJECT_NAME]=default [PUBLIC_URL]=default [TWINFLOW_SERVER_NAME]=default
    [POSTGRES_SUPERUSER_PASSWORD]=secret [POSTGRES_OWNER_PASSWORD]=secret [POSTGRES_APP_PASSWORD]=secret
    [REDIS_PASSWORD]=secret [TWINFLOW_VAULT_KEYS]=secret [SESSION_SECRET]=secret
  )
fi

declare -A current=()   # effective (unquoted) value of every key the file sets, by name
declare -A derived_from=()

# value for a key that is unset; may read earlier keys from `current`
new_value() {
  case "$1" in
    NODE_ENV) printf 'development' ;;
    PUBLIC_URL) if [[ $mode == compose ]]; then printf 'https://localhost'; else printf 'http://localhost:3000'; fi ;;
    HOST) printf '127.0.0.1' ;;
    PORT) printf '3000' ;;
    COMPOSE_PROJECT_NAME) printf 'twinflow' ;;
    TWINFLOW_SERVER_NAME) printf 'localhost' ;;
    POSTGRES_PASSWORD | POSTGRES_SUPERUSER_PASSWORD | POSTGRES_OWNER_PASSWORD | POSTGRES_APP_PASSWORD | REDIS_PASSWORD) rand_hex 24 ;;
    DATABASE_URL) printf 'postgres://twinflow_app:%s@127.0.0.1:5432/twinflow' "$(url_encode "${current[POSTGRES_APP_PASSWORD]}")" ;;
    DATABASE_OWNER_URL) printf 'postgres://twinflow_owner:%s@127.0.0.1:5432/twinflow' "$(url_encode "${current[POSTGRES_PASSWORD]}")" ;;
    DATABASE_ADMIN_URL) printf 'postgres://postgres@127.0.0.1:5432/postgres' ;;
    REDIS_URL) printf 'redis://127.0.0.1:6379/0' ;;
    TWINFLOW_VAULT_KEYS) printf 'k%s:%s' "$(date -u +%Y%m%d)" "$(rand_base64 32)" ;;
    SESSION_SECRET) rand_base64 32 ;;
    DEMO_PASSWORD) rand_hex 12 ;;
    *) die "internal error: no value for $1" ;;
  esac
}

# Percent-encodes what a URL's userinfo cannot hold as is (generated passwords are hex).
url_encode() {
  local LC_ALL=C s="$1" out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case "$c" in
      [A-Za-z0-9._~-]) out+="$c" ;;
      *) out+="$(printf '%%%02X' "'$c")" ;;
    esac
  done
  printf '%s' "$out"
}

# The password in a URL when it needs no percent-decoding, else nothing.
url_password() {
  if [[ $1 =~ ^[A-Za-z][A-Za-z0-9+.-]*://[^:@/]*:([A-Za-z0-9._~-]+)@ ]]; then
    printf '%s' "${BASH_REMATCH[1]}"
  fi
}

# --- read the existing file ------------------------------------------------------------

line_re='^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=(.*)$'

lines=()
declare -A last_value=() # name -> unquoted value of its last assignment ("" when empty)
if [[ -f $env_file ]]; then
  while IFS= read -r line || [[ -n $line ]]; do
    lines+=("$line")
  done <"$env_file"
fi


has_content=false
for line in "${lines[@]+"${lines[@]}"}"; do
  [[ $line =~ ^[[:space:]]*$ ]] || has_content=true
  if [[ $line =~ $line_re ]]; then
    last_value[${BASH_REMATCH[2]}]="$(env_unquote "${BASH_REMATCH[3]}")"
  fi
done
for name in "${!last_value[@]}"; do
  [[ -n ${last_value[$name]} ]] && current[$name]="${last_value[$name]}"
done

# --- decide what to add -----------------------------------------------------------------

generated=()
defaults=()
fill=()      # keys assigned empty in the file: filled in place
append=()    # keys absent from the file: appended
declare -A value=()

for key in "${keys[@]}"; do
  [[ -n ${current[$key]-} ]] && continue
  v=""
  # A password already written into its URL is reused, so the pair stays consistent.
  case "$key" in
    POSTGRES_APP_PASSWORD) [[ -n ${current[DATABASE_URL]-} ]] && v="$(url_password "${current[DATABASE_URL]}")" ;;
    POSTGRES_PASSWORD) [[ -n ${current[DATABASE_OWNER_URL]-} ]] && v="$(url_password "${current[DATABASE_OWNER_URL]}")" ;;
  esac
  if [[ -n $v && $v != CHANGE_ME ]]; then
    derived_from[$key]=$([[ $key == POSTGRES_PASSWORD ]] && echo DATABASE_OWNER_URL || echo DATABASE_URL)
  else
    v="$(new_value "$key")"
  fi
  value[$key]="$v"
  current[$key]="$v"
  if [[ -n ${derived_from[$key]-} ]]; then
    defaults+=("$key (from ${derived_from[$key]})")
  elif [[ ${kind[$key]} == secret ]]; then
    generated+=("$key")
  else
    defaults+=("$key")
  fi
  if [[ -v "last_value[$key]" ]]; then fill+=("$key"); else append+=("$key"); fi
done

# --- write ------------------------------------------------------------------------------

mode_of() { stat -c %a "$1" 2>/dev/null || stat -f %Lp "$1"; }
old_mode=600
[[ -e $env_file ]] && old_mode="$(mode_of "$env_file")"

if [[ ${#fill[@]} -gt 0 || ${#append[@]} -gt 0 || ! -e $env_file ]]; then
  tmp="$(mktemp "$env_dir/.twinflow-env.XXXXXX")"
  trap 'rm -f "$tmp"' EXIT
  # shellcheck disable=SC2016 # the backquotes are literal text in comments
  {
    declare -A to_fill=()
    for key in "${fill[@]+"${fill[@]}"}"; do to_fill[$key]=1; done
    for line in "${lines[@]+"${lines[@]}"}"; do
      if [[ $line =~ $line_re && -n ${to_fill[${BASH_REMATCH[2]}]-} && -z $(env_unquote "${BASH_REMATCH[3]}") ]]; then
        printf '%s%s\n' "${line%%=*}=" "${value[${BASH_REMATCH[2]}]}"
      else
        printf '%s\n' "$line"
      fi
    done
    if [[ ${#append[@]} -gt 0 ]]; then
      if $has_content; then
        printf '\n# Added by `make init` on %s.\n' "$(date -u +%Y-%m-%d)"
      else
        printf '%s\n' \
          "# $about" \
          '# It holds secrets: keep it private (mode 0600) and out of version control.' \
          '# `make init` fills in what is missing and never changes a value set here.' \
          "# Every variable is described in $described_in."
      fi
      for key in "${append[@]}"; do
        if [[ -n ${comment[$key]} ]]; then printf '\n%s\n' "${comment[$key]}"; fi
        printf '%s=%s\n' "$key" "${value[$key]}"
      done
    fi
  } >"$tmp"
  chmod 600 "$tmp"
  if [[ -L $env_file ]]; then
    cat "$tmp" >"$env_file" # keep the symlink; write through it
  else
    mv -f "$tmp" "$env_file"
  fi
  trap - EXIT
  rm -f "$tmp"
  printf 'init-env: wrote %s (mode 0600)\n' "$env_file"
else
  printf 'init-env: %s already has every value; nothing changed\n' "$env_file"
fi

chmod 600 "$env_file"
[[ $old_mode == 600 ]] || printf 'init-env: tightened %s from mode %s to 0600\n' "$env_file" "$old_mode"

if [[ ${#generated[@]} -gt 0 ]]; then printf '  generated: %s\n' "${generated[*]}"; fi
if [[ ${#defaults[@]} -gt 0 ]]; then
  printf '  defaults:  %s' "${defaults[0]}"
  for d in "${defaults[@]:1}"; do printf ', %s' "$d"; done
  printf '\n'
fi

# --- warnings (names only) --------------------------------------------------------------

for name in "${!current[@]}"; do
  if [[ ${current[$name]} == *CHANGE_ME* ]]; then
    printf 'init-env: warning: %s still holds the CHANGE_ME placeholder from .env.example; edit it in %s\n' "$name" "$env_file" >&2
  fi
done
for pair in DATABASE_URL:POSTGRES_APP_PASSWORD DATABASE_OWNER_URL:POSTGRES_PASSWORD; do
  url_key="${pair%%:*}" pw_key="${pair##*:}"
  url_pw="$(url_password "${current[$url_key]-}")"
  if [[ -n $url_pw && -n ${current[$pw_key]-} && $url_pw != "${current[$pw_key]}" ]]; then
    printf 'init-env: warning: the password in %s differs from %s; bootstrap-db uses the URL, compose uses %s; make them match\n' \
      "$url_key" "$pw_key" "$pw_key" >&2
  fi
done
exit 0
