#!/bin/sh
# The nginx container's start: a usable certificate, the rendered config, a syntax check
# (so a bad config fails here, with nginx's own message), then nginx in the foreground.
set -eu

here=$(dirname "$0")
sh "$here/prepare-tls.sh"
sh "$here/render-config.sh"
config="$NGINX_RUNTIME_DIR/nginx.conf"
# -e stderr: Debian's build opens /var/log/nginx/error.log before reading the config, which a
# read-only root refuses.
nginx -e stderr -t -q -c "$config"
exec nginx -e stderr -c "$config" -g 'daemon off;'
