#!/bin/sh
# Makes sure $NGINX_TLS_DIR holds a certificate (fullchain.pem) and its key (privkey.pem).
# With neither there it generates a short-lived self-signed pair, so the stack starts, and
# generates it again when that pair (and only that one: its fingerprint is kept beside it)
# has a week left. A half-present, mismatched, unreadable or expired pair stops it with one
# line: nginx would otherwise refuse to start, or serve a certificate browsers reject, less clearly.
set -eu

fail() {
  echo "nginx: $1" >&2
  exit 1
}

[ -n "${NGINX_TLS_DIR-}" ] ||
  fail "NGINX_TLS_DIR is not set: set it to the directory for fullchain.pem and privkey.pem, e.g. /etc/twinflow-nginx/tls"
cert="$NGINX_TLS_DIR/fullchain.pem"
key="$NGINX_TLS_DIR/privkey.pem"
start_over="or remove both $cert and $key to have a self-signed pair generated"

generated="$NGINX_TLS_DIR/self-signed.sha256"
fingerprint() { openssl x509 -in "$cert" -noout -fingerprint -sha256 2>/dev/null; }

# Writes a self-signed pair for $TWINFLOW_SERVER_NAME, and notes its fingerprint as ours.
generate_self_signed() {
  name=${TWINFLOW_SERVER_NAME:-localhost}
  case $name in
    '' | *[!A-Za-z0-9.-]*) fail "TWINFLOW_SERVER_NAME is \"$name\": set it to the host name browsers use, e.g. twinflow.example.com" ;;
    *[!0-9.]*) alt_name="DNS:$name" ;;
    *) alt_name="IP:$name" ;;
  esac
  { mkdir -p "$NGINX_TLS_DIR" && [ -w "$NGINX_TLS_DIR" ]; } 2>/dev/null ||
    fail "cannot write to $NGINX_TLS_DIR: make it writable, or put fullchain.pem and privkey.pem there"
  umask 077
  # A server certificate, not a CA: Firefox allows no exception for a CA one used by a server.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=$name" -addext "subjectAltName=$alt_name" \
    -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" \
    -keyout "$key.tmp" -out "$cert.tmp" >/dev/null 2>&1 ||
    fail "openssl could not generate a self-signed certificate in $NGINX_TLS_DIR"
  chmod 600 "$key.tmp"
  chmod 644 "$cert.tmp"
  mv "$key.tmp" "$key"
  mv "$cert.tmp" "$cert"
  fingerprint >"$generated"
  chmod 644 "$generated"
  echo "nginx: $1, so generated a self-signed one for $name, valid 30 days (browsers will warn): see docs/operations.md to get one from Let's Encrypt (ACME)" >&2
}

if [ ! -e "$cert" ] && [ ! -e "$key" ]; then
  generate_self_signed "no certificate in $NGINX_TLS_DIR"
  exit 0
fi

# Ours, with a week or less left: a server without a domain must not stop after 30 days.
if [ -e "$cert" ] && [ -e "$generated" ] && [ "$(fingerprint)" = "$(cat "$generated")" ] &&
  ! openssl x509 -in "$cert" -noout -checkend 604800 >/dev/null 2>&1; then
  generate_self_signed "the self-signed certificate in $NGINX_TLS_DIR had a week or less left"
  exit 0
fi

[ -e "$cert" ] || fail "$key exists but $cert does not: put the certificate chain there, $start_over"
[ -e "$key" ] || fail "$cert exists but $key does not: put its private key there, $start_over"

openssl x509 -in "$cert" -noout >/dev/null 2>&1 ||
  fail "$cert is not a readable PEM certificate: replace it with the one belonging to $key, $start_over"
if ! openssl x509 -in "$cert" -noout -checkend 0 >/dev/null 2>&1; then
  expired=$(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2)
  fail "$cert expired on $expired: renew it (docs/operations.md) and its key $key, $start_over"
fi

# An encrypted key fails here too: nginx could not ask for its passphrase either.
key_public=$(openssl pkey -in "$key" -passin pass: -pubout 2>/dev/null </dev/null) ||
  fail "$key is not a readable unencrypted private key: replace it with the key belonging to $cert, $start_over"
cert_public=$(openssl x509 -in "$cert" -noout -pubkey)
[ "$key_public" = "$cert_public" ] ||
  fail "$key does not match $cert (their public keys differ): put the key belonging to the certificate there, $start_over"
