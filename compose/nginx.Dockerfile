# TwinFlow's nginx: Debian's nginx 1.22 with the config in nginx/, rendered at start by
# nginx/entrypoint.sh. Build context: the repository root (compose: context .., this file).
FROM debian:12.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx openssl gettext-base \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default

COPY nginx/nginx.conf.template nginx/security-headers.conf nginx/entrypoint.sh nginx/prepare-tls.sh nginx/render-config.sh /etc/twinflow-nginx/
RUN chmod 0755 /etc/twinflow-nginx/*.sh \
 && install -d -m 0700 /etc/twinflow-nginx/tls \
 && install -d -m 0755 /var/www/acme /run/twinflow-nginx

# What render-config.sh and prepare-tls.sh read (see there); compose sets TWINFLOW_SERVER_NAME.
ENV TWINFLOW_UPSTREAM=web:3000 \
    NGINX_HTTP_PORT=80 \
    NGINX_HTTPS_PORT=443 \
    NGINX_HTTPS_REDIRECT_PORT_SUFFIX="" \
    NGINX_TLS_DIR=/etc/twinflow-nginx/tls \
    NGINX_CONF_DIR=/etc/twinflow-nginx \
    NGINX_RUNTIME_DIR=/run/twinflow-nginx \
    NGINX_ACME_WEBROOT=/var/www/acme

# The certificate and key: kept across container re-creation (a self-signed pair too).
VOLUME ["/etc/twinflow-nginx/tls"]
EXPOSE 80 443
# nginx's graceful shutdown: requests in flight finish.
STOPSIGNAL SIGQUIT
# No curl in the image: bash opens a TCP connection to the https port itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/$NGINX_HTTPS_PORT"]
ENTRYPOINT ["/etc/twinflow-nginx/entrypoint.sh"]
