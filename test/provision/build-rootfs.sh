#!/usr/bin/env bash
# Builds a Debian root filesystem for applying the playbook to, and packs it as a tarball.
# Only the download needs the network; the packages' maintainer scripts run in private
# network, mount and pid namespaces, so nothing they start can reach the network or outlive
# the build, and debootstrap's own /proc and /sys mounts vanish with the namespace.
#
#   test/provision/build-rootfs.sh SUITE MIRROR PACKAGES(comma-separated) OUT.tar.zst
set -euo pipefail

suite=$1 mirror=$2 packages=$3 out=$4

die() {
  printf 'build-rootfs: %s\n' "$*" >&2
  exit 1
}

# Named like the test's copies (rootfs.ts), so the next run removes it if this one is killed.
work=$(mktemp -d "/var/tmp/twinflow-rootfs-$$-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

debootstrap --foreign --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$work/first-stage.log" 2>&1 ||
  die "could not download $suite from $mirror: $(tail -n 5 "$work/first-stage.log")"

unshare --net --mount --pid --fork --kill-child --propagation private \
  chroot "$root" /debootstrap/debootstrap --second-stage >"$work/second-stage.log" 2>&1 ||
  die "second stage failed: $(tail -n 20 "$work/second-stage.log")"

# Packages installed later (by the playbook) must not start their daemons either.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
rm -f "$root"/var/cache/apt/archives/*.deb

mkdir -p "$(dirname "$out")"
# Renamed into place whole, so a concurrent run never reads a half-written tarball.
tar --create --zstd --numeric-owner --xattrs --xattrs-include='*' --acls -C "$root" -f "$work/rootfs.tar.zst" .
mv "$work/rootfs.tar.zst" "$out.$$"
mv "$out.$$" "$out"
