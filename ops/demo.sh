#!/usr/bin/env bash
# Runs TwinFlow on this machine with a demo tenant and data (run by `make demo`).
#
# Installs dependencies when needed, writes .env, makes sure Postgres and Redis answer,
# creates the roles and database, migrates, seeds the demo tenant, then runs web, worker
# and scheduler in the foreground until Ctrl-C. Safe to re-run: every step is idempotent.
set -euo pipefail

root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ops/lib/env-file.sh
source "$root/ops/lib/env-file.sh"
cd "$root"
env_file="${TWINFLOW_ENV_FILE:-$root/.env}"
ready_seconds="${TWINFLOW_READY_SECONDS:-90}"
stop_seconds=20

die() {
  printf 'demo: %s\n' "$*" >&2
  exit 1
}
say() { printf '\ndemo: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

step() {
  say "$*"
  local rc=0
  "$@" || rc=$?
  [[ $rc -eq 0 ]] || die "'$*' failed (exit $rc): fix what it reports above and run make demo again"
}

# Exports NAME=VALUE lines of the env file, read as data (never executed). Variables
# already in the environment win, as they do for bin/twinflow.
load_env_file() {
  local line name value
  [[ -r $env_file ]] || die "cannot read $env_file: run make init as the user that runs make demo"
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=(.*)$ ]] || continue
    name="${BASH_REMATCH[2]}"
    value="$(env_unquote "${BASH_REMATCH[3]}")"
    [[ -n ${!name+set} ]] || export "$name=$value"
  done <"$env_file"
}

# --- prepare ----------------------------------------------------------------------------

have node || die "node is not installed: install Node.js 20.19 or newer (https://nodejs.org) and run make demo again"
have npm || die "npm is not installed: install Node.js 20.19 or newer (it includes npm) and run make demo again"

install_stamp=node_modules/.package-lock.json
[[ -f $install_stamp ]] || install_stamp=node_modules
if [[ ! -d node_modules || package-lock.json -nt $install_stamp ]]; then
  step npm ci
fi

step ops/init-env.sh
load_env_file
step ops/ensure-services.sh
step bin/twinflow bootstrap-db
step bin/twinflow migrate
step bin/twinflow demo

public_url="${PUBLIC_URL:-http://localhost:3000}"
public_url="${public_url%/}"

ready() {
  if have curl; then
    [[ $(curl -s -o /dev/null -m 2 -w '%{http_code}' "$public_url/readyz" || true) == 200 ]]
  else
    node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' \
      "$public_url/readyz"
  fi
}

# A TwinFlow (or anything) already answering here would pass the readiness check for us.
if ready; then
  die "something already answers at $public_url: stop the other TwinFlow (or set PORT and PUBLIC_URL in $env_file) and run make demo again"
fi

# --- run --------------------------------------------------------------------------------

names=(web worker scheduler)
pids=()

# Prefixes each line with the process name; ignores Ctrl-C so shutdown logs still show.
prefix() {
  trap '' INT
  exec awk -v tag="[$1] " '{ print tag $0; fflush() }'
}

stop_all() {
  local pid alive deadline=$((SECONDS + stop_seconds))
  for pid in "${pids[@]+"${pids[@]}"}"; do kill -TERM "$pid" 2>/dev/null || true; done
  while :; do
    alive=()
    for pid in "${pids[@]+"${pids[@]}"}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    [[ ${#alive[@]} -gt 0 ]] || break
    if ((SECONDS >= deadline)); then
      printf 'demo: still running after %s s; killing %s\n' "$stop_seconds" "${alive[*]}" >&2
      kill -KILL "${alive[@]}" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  for pid in "${pids[@]+"${pids[@]}"}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

on_signal() {
  trap '' INT TERM
  say "stopping web, worker and scheduler"
  stop_all
  exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'stop_all' EXIT

# Job control puts each process in its own process group, so Ctrl-C reaches only this
# script, which then stops them with SIGTERM (a clean shutdown) and waits.
# Each process serves its own /metrics and /healthz, so each needs a port of its own: from
# METRICS_PORT up, one each (0: each picks a free one).
metrics_base="${METRICS_PORT:-9464}"
set -m
for i in "${!names[@]}"; do
  metrics_port=$((metrics_base == 0 ? 0 : metrics_base + i))
  METRICS_PORT="$metrics_port" bin/twinflow "${names[$i]}" </dev/null > >(prefix "${names[$i]}") 2>&1 &
  pids+=("$!")
done

# Exits non-zero (after stopping the others) when any of the three has exited.
check_children() {
  local i rc
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      rc=0
      wait "${pids[$i]}" || rc=$?
      printf '\ndemo: %s exited (status %s)%s; stopping the others\n' "${names[$i]}" "$rc" "$1" >&2
      unset 'pids[i]'
      stop_all
      exit 1
    fi
  done
}

say "waiting for $public_url/readyz"
deadline=$((SECONDS + ready_seconds))
until ready; do
  check_children " before TwinFlow was ready; its log is above"
  if ((SECONDS >= deadline)); then
    stop_all
    die "TwinFlow did not answer $public_url/readyz with 200 within $ready_seconds s: see the [web] log above"
  fi
  sleep 1
done

cat <<EOF

  TwinFlow is running: $public_url
  Sign in as demo@twinflow.local with password ${DEMO_PASSWORD:-(the DEMO_PASSWORD in $env_file)}

  Press Ctrl-C to stop.

EOF

while :; do
  check_children ""
  sleep 1 &
  wait $! || true
done
