#!/bin/sh
# Renders nginx.conf.template (next to this script) into $NGINX_RUNTIME_DIR/nginx.conf.
# Only the variables below are substituted, so nginx's own $variables stay intact. The first
# variable that is missing or malformed stops it with one line saying what to set.
set -eu

template="$(dirname "$0")/nginx.conf.template"

fail() {
  echo "nginx: $1" >&2
  exit 1
}

# The value of the environment variable named $1 (envsubst reads exported ones only);
# with $2, what to set it to when it is missing.
value_of() {
  printenv "$1" || fail "$1 is not set: set it to $2"
}

refuse() {
  shown=$(printf '%s' "$2" | tr -c '[:print:]' '?')
  fail "$1 is \"$shown\": set it to $3"
}

is_port() {
  case $1 in
    '' | *[!0-9]*) return 1 ;;
  esac
  [ "${#1}" -le 5 ] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]
}

require_port() {
  value=$(value_of "$1" "$2")
  is_port "$value" || refuse "$1" "$value" "$2"
}

# Absolute, and only characters that need no quoting in nginx's syntax.
require_directory() {
  value=$(value_of "$1" "$2")
  case $value in
    /*) ;;
    *) refuse "$1" "$value" "$2" ;;
  esac
  case $value in
    *[!A-Za-z0-9._/-]*) refuse "$1" "$value" "$2" ;;
  esac
}

upstream_hint="the web process as host:port, e.g. web:3000"
upstream=$(value_of TWINFLOW_UPSTREAM "$upstream_hint")
case ${upstream%:*} in
  '' | *[!A-Za-z0-9.-]*) refuse TWINFLOW_UPSTREAM "$upstream" "$upstream_hint" ;;
esac
case $upstream in
  *:*) is_port "${upstream##*:}" || refuse TWINFLOW_UPSTREAM "$upstream" "$upstream_hint" ;;
  *) refuse TWINFLOW_UPSTREAM "$upstream" "$upstream_hint" ;;
esac

require_port NGINX_HTTP_PORT "the plain-http port (ACME challenges, redirects to https), e.g. 80"
require_port NGINX_HTTPS_PORT "the https port, e.g. 443"

# Unset means empty: https is on the default port as browsers see it.
suffix=${NGINX_HTTPS_REDIRECT_PORT_SUFFIX-}
suffix_hint="nothing when browsers reach https on port 443, else a colon and that port, e.g. :8443"
case $suffix in
  '') ;;
  :*) is_port "${suffix#:}" || refuse NGINX_HTTPS_REDIRECT_PORT_SUFFIX "$suffix" "$suffix_hint" ;;
  *) refuse NGINX_HTTPS_REDIRECT_PORT_SUFFIX "$suffix" "$suffix_hint" ;;
esac

require_directory NGINX_TLS_DIR "the directory holding fullchain.pem and privkey.pem, e.g. /etc/twinflow-nginx/tls"
require_directory NGINX_CONF_DIR "the directory holding security-headers.conf, e.g. /etc/twinflow-nginx"
require_directory NGINX_RUNTIME_DIR "a writable directory for the rendered config, pid and temp files, e.g. /run/twinflow-nginx"
require_directory NGINX_ACME_WEBROOT "the directory ACME clients write challenge files to, e.g. /var/www/acme"

[ -f "$NGINX_CONF_DIR/security-headers.conf" ] ||
  fail "NGINX_CONF_DIR is \"$NGINX_CONF_DIR\", which has no security-headers.conf: set it to the directory holding it, e.g. /etc/twinflow-nginx"

mkdir -p "$NGINX_RUNTIME_DIR"
rendered="$NGINX_RUNTIME_DIR/nginx.conf"
# shellcheck disable=SC2016 # the names are for envsubst, not the shell
envsubst '${TWINFLOW_UPSTREAM} ${NGINX_HTTP_PORT} ${NGINX_HTTPS_PORT} ${NGINX_HTTPS_REDIRECT_PORT_SUFFIX} ${NGINX_TLS_DIR} ${NGINX_CONF_DIR} ${NGINX_RUNTIME_DIR} ${NGINX_ACME_WEBROOT}' \
  <"$template" >"$rendered.tmp"
mv "$rendered.tmp" "$rendered"
