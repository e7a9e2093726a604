#!/usr/bin/env bash
# Makes sure Postgres and Redis answer, starting (or, as root on Debian, installing) them
# when they live on this machine.
#
#   ops/ensure-services.sh          DATABASE_ADMIN_URL and REDIS_URL (environment, else .env)
#   ops/ensure-services.sh --test   TEST_DATABASE_URL and TEST_REDIS_URL (environment)
#
# Defaults: postgres://postgres@127.0.0.1:5432/postgres and redis://127.0.0.1:6379.
# Never prints a password: services are named by host:port only.
set -euo pipefail

root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=ops/lib/env-file.sh
source "$root/ops/lib/env-file.sh"
env_file="${TWINFLOW_ENV_FILE:-$root/.env}"
wait_seconds="${TWINFLOW_SERVICE_WAIT_SECONDS:-30}"

die() {
  printf 'ensure-services: %s\n' "$*" >&2
  exit 1
}
say() { printf 'ensure-services: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

mode=dev
case "${1-}" in
  "") ;;
  --test) mode="test" ;;
  -h | --help)
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown argument '$1': usage: ops/ensure-services.sh [--test]" ;;
esac
[[ $# -le 1 ]] || die "too many arguments: usage: ops/ensure-services.sh [--test]"

# --- settings ---------------------------------------------------------------------------

# The value NAME has in the env file, read as data (the file is never executed).
env_file_value() {
  local name="$1" line v=""
  [[ -f $env_file ]] || return 0
  [[ -r $env_file ]] || die "cannot read $env_file: run as its owner, or set $name in the environment"
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?${name}[[:space:]]*=(.*)$ ]]; then
      v="$(env_unquote "${BASH_REMATCH[2]}")"
    fi
  done <"$env_file"
  printf '%s' "$v"
}

if [[ $mode == test ]]; then
  pg_var=TEST_DATABASE_URL redis_var=TEST_REDIS_URL
  pg_url="${TEST_DATABASE_URL:-}"
  redis_url="${TEST_REDIS_URL:-}"
else
  pg_var=DATABASE_ADMIN_URL redis_var=REDIS_URL
  pg_url="${DATABASE_ADMIN_URL:-$(env_file_value DATABASE_ADMIN_URL)}"
  redis_url="${REDIS_URL:-$(env_file_value REDIS_URL)}"
fi
pg_url="${pg_url:-postgres://postgres@127.0.0.1:5432/postgres}"
redis_url="${redis_url:-redis://127.0.0.1:6379}"

# Sets url_host (brackets removed), url_port and url_where ("host:port", for messages).
parse_url() {
  local url="$1" var="$2" default_port="$3" scheme_re="$4"
  local re='^([A-Za-z][A-Za-z0-9+.-]*)://([^@/?#]*@)?(\[[^]/?#]*\]|[^:/?#]*)(:([0-9]*))?([/?#].*)?$'
  [[ $url =~ $re ]] || die "$var is not a URL (expected ${scheme_re%%|*}://host:port/...): fix it in $env_file or the environment"
  local scheme="${BASH_REMATCH[1]}"
  url_host="${BASH_REMATCH[3]}"
  url_port="${BASH_REMATCH[5]:-$default_port}"
  [[ $scheme =~ ^($scheme_re)$ ]] || die "$var must start with ${scheme_re//|/:// or }://"
  url_host="${url_host#[}"
  url_host="${url_host%]}"
  if [[ -z $url_host ]]; then
    url_where="the local socket"
  elif [[ $url_host == *:* ]]; then
    url_where="[$url_host]:$url_port"
  else
    url_where="$url_host:$url_port"
  fi
}

parse_url "$pg_url" "$pg_var" 5432 'postgres|postgresql'
pg_host="$url_host" pg_port="$url_port" pg_where="$url_where"
parse_url "$redis_url" "$redis_var" 6379 'redis|rediss'
redis_host="${url_host:-127.0.0.1}" redis_port="$url_port" redis_where="${url_where/the local socket/127.0.0.1:$url_port}"

is_local() {
  case "$1" in
    "" | 127.0.0.1 | localhost | ::1) return 0 ;;
    *) return 1 ;;
  esac
}

with_timeout() {
  if have timeout; then timeout "$@"; else shift && "$@"; fi
}

# Opens a TCP connection with bash's /dev/tcp; succeeds when something listens.
tcp_open() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  with_timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# --- probes -----------------------------------------------------------------------------

# 0 answers, 1 starting up (rejecting connections), 2 no answer
pg_state() {
  if have pg_isready; then
    local rc=0
    pg_isready -q -t 3 -d "$pg_url" >/dev/null 2>&1 || rc=$?
    case "$rc" in
      0) return 0 ;;
      1) return 1 ;;
      3) die "$pg_var is not a connection URL pg_isready accepts (postgres://user:password@host:port/database): fix it" ;;
      *) return 2 ;;
    esac
  fi
  [[ -n $pg_host ]] || die "pg_isready is not installed and $pg_var names no host: install postgresql-client"
  tcp_open "$pg_host" "$pg_port" && return 0
  return 2
}

# 0 answers, 2 no answer, 3 answers but refuses the credentials in the URL
redis_state() {
  local reply
  if have redis-cli; then
    reply="$(with_timeout 5 redis-cli --no-auth-warning -u "$redis_url" ping 2>&1 || true)"
    case "$reply" in
      *PONG*) return 0 ;;
      *NOAUTH* | *WRONGPASS* | *"AUTH failed"* | *"invalid password"* | *"invalid username"*) return 3 ;;
      *) return 2 ;;
    esac
  fi
  # shellcheck disable=SC2016 # expanded by the inner bash
  reply="$(with_timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "PING\r\n" >&3; IFS= read -r -t 2 line <&3; printf "%s" "$line"' \
    "$redis_host" "$redis_port" 2>/dev/null || true)"
  case "$reply" in
    +PONG*) return 0 ;;
    -NOAUTH*) [[ $redis_url =~ ://[^@/]*:[^@/]+@ ]] && return 0 || return 3 ;; # with a password in the URL, redis-cli would authenticate
    "") return 2 ;;
    *) return 0 ;;
  esac
}

# Waits until the probe function $1 returns 0 (or 3, which means up but refusing us).
wait_for() {
  local probe="$1" deadline=$((SECONDS + wait_seconds)) rc
  while :; do
    rc=0
    "$probe" || rc=$?
    [[ $rc -eq 0 || $rc -eq 3 ]] && return "$rc"
    ((SECONDS < deadline)) || return "$rc"
    sleep 0.5
  done
}

# --- install and start ------------------------------------------------------------------

packages=(postgresql redis-server postgresql-client redis-tools)
apt_updated=false

can_install() { [[ $(id -u) -eq 0 && -f /etc/debian_version ]] && have apt-get; }

install_packages() {
  if ! $apt_updated; then
    say "installing ${packages[*]} with apt-get"
    apt-get update -qq
    apt_updated=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null ||
    die "apt-get could not install ${packages[*]}: see the apt output above"
}

install_hint() {
  local sudo="sudo "
  [[ $(id -u) -eq 0 ]] && sudo=""
  if [[ -f /etc/debian_version ]]; then
    printf '%sapt-get update && %sDEBIAN_FRONTEND=noninteractive apt-get install -y %s' "$sudo" "$sudo" "${packages[*]}"
  else
    printf 'install PostgreSQL 15 and Redis 7 with your package manager (e.g. brew install postgresql@15 redis), start them'
  fi
}

# shellcheck disable=SC2012 # the directory holds only version numbers
pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -1; }
pg_installed() { have pg_ctlcluster && [[ -n $(pg_version) ]]; }

start_postgres() {
  local version output rc=0
  version="$(pg_version)"
  say "starting Postgres $version (cluster main)"
  output="$(pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1)" || rc=$?
  if [[ $output == *"already running"* ]]; then
    die "Postgres $version/main is running but does not answer at $pg_where: check the host and port in $pg_var against pg_lsclusters"
  fi
  if [[ $rc -ne 0 ]]; then
    printf '%s\n' "$output" >&2
    die "could not start Postgres $version/main (pg_ctlcluster exited $rc, output above): run make again as root, or start it with: sudo pg_ctlcluster $version main start"
  fi
}

start_redis() {
  say "starting redis-server on port $redis_port"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null ||
    die "cannot create /var/lib/redis and /var/log/redis: run as root, or start Redis yourself: redis-server --port $redis_port"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$redis_port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/twinflow.log >/dev/null ||
    die "redis-server did not start: see /var/log/redis/twinflow.log"
}

# ensure NAME PROBE WHERE VAR HOST INSTALLED_FN START_FN LOG
ensure() {
  local name="$1" probe="$2" where="$3" var="$4" host="$5" installed="$6" start="$7" log="$8" rc=0
  "$probe" || rc=$?
  if [[ $rc -eq 2 ]]; then
    is_local "$host" ||
      die "$name at $where ($var) does not answer; it is not on this machine: start it there, or fix $var"
    if ! "$installed"; then
      can_install || die "$name is not installed on this machine: run: $(install_hint)"
      install_packages
      "$installed" || die "$name is still not installed after apt-get: run: $(install_hint)"
    fi
    "$start"
  fi
  if [[ $rc -ne 0 ]]; then
    rc=0
    wait_for "$probe" || rc=$?
    [[ $rc -eq 0 || $rc -eq 3 ]] ||
      die "$name at $where ($var) did not answer within ${wait_seconds} s: see $log"
  fi
  return "$rc"
}

redis_installed() { have redis-server; }

ensure Postgres pg_state "$pg_where" "$pg_var" "$pg_host" pg_installed start_postgres "the logs in /var/log/postgresql"
rc=0
ensure Redis redis_state "$redis_where" "$redis_var" "$redis_host" redis_installed start_redis \
  /var/log/redis/twinflow.log || rc=$?
[[ $rc -ne 3 ]] ||
  die "Redis at $redis_where answers but refuses the credentials in $redis_var: put the right password in it (redis://:PASSWORD@$redis_where/0)"

# --- can we sign in to Postgres? (only when psql is here to ask) -------------------------

if have psql; then
  output="$(PGCONNECT_TIMEOUT=5 psql "$pg_url" -XAtqc 'select 1' 2>&1)" || {
    case "$output" in
      *"password authentication failed"* | *"no password supplied"* | *"fe_sendauth"*)
        die "Postgres at $pg_where refuses the credentials in $pg_var: give the role a password (sudo -u postgres psql -c '\\password postgres') and put it in $pg_var (postgres://postgres:PASSWORD@$pg_where/postgres)" ;;
      *"Peer authentication failed"* | *"Ident authentication failed"*)
        die "Postgres at $pg_where accepts this role only from its own OS user: use a TCP URL with a password in $pg_var (postgres://postgres:PASSWORD@127.0.0.1:5432/postgres)" ;;
      *"pg_hba.conf"*)
        die "Postgres at $pg_where has no pg_hba.conf entry for this connection: allow it in pg_hba.conf, or change $pg_var" ;;
      *"does not exist"*)
        die "Postgres at $pg_where: the role or database named in $pg_var does not exist: fix $pg_var" ;;
      *)
        die "Postgres at $pg_where answers, but psql could not sign in with $pg_var: $(printf '%s' "$output" | grep -m1 -E 'FATAL|ERROR|error' | sed 's/^.*\(FATAL\|ERROR\|error\): *//')" ;;
    esac
  }
fi

say "Postgres at $pg_where ($pg_var) answers"
say "Redis at $redis_where ($redis_var) answers"
