#!/usr/bin/env bash
# Makes sure the command-line tools the tests drive are installed: nginx (the native
# topology test), docker-compose (validates the compose file; there is no Docker engine
# here), openssl, Chromium with a font (the browser tests and their screenshots), and for
# the playbook test Ansible with its collections, ansible-lint, debootstrap, zstd (the cached
# root filesystem), the ssh client and ip. As root on Debian it installs what is missing
# from Debian's packages, without starting any service; elsewhere it prints the command to run.
#
#   ops/ensure-tools.sh
set -euo pipefail

die() {
  printf 'ensure-tools: %s\n' "$*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# command → the Debian package that provides it
declare -A package_of=(
  [nginx]=nginx
  [docker-compose]=docker-compose
  [openssl]=openssl
  [envsubst]=gettext-base
  [chromium]=chromium
  [ansible-playbook]=ansible
  [ansible-lint]=ansible-lint
  [debootstrap]=debootstrap
  [zstd]=zstd
  [ssh]=openssh-client
  [ip]=iproute2
)
# Chromium installed without recommends may bring no font, and pages would render as boxes.
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
# ansible-core alone has ansible-playbook but not the chroot connection and ufw module.
collections=/usr/lib/python3/dist-packages/ansible_collections/community/general

missing=()
for command in "${!package_of[@]}"; do
  # nginx, debootstrap and ip live in /usr/sbin, which a non-root PATH may lack.
  have "$command" || [[ -x /usr/sbin/$command ]] || missing+=("${package_of[$command]}")
done
[[ -f $font ]] || missing+=(fonts-dejavu-core)
[[ -d $collections ]] || missing+=(ansible)
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 || ! -f /etc/debian_version ]] || ! have apt-get; then
  die "missing ${missing[*]}: install them (on Debian: sudo apt-get install -y ${missing[*]}) and run again"
fi

printf 'ensure-tools: installing %s with apt-get\n' "${missing[*]}"
# A package's own service (nginx on port 80) must not start: tests run their own instances.
policy=/usr/sbin/policy-rc.d
created_policy=false
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=true
fi
trap '$created_policy && rm -f "$policy"' EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
  die "apt-get could not install ${missing[*]}: see the apt output above"
