#!/usr/bin/env bash
# Runs a command beside a root filesystem, in fresh network, mount and pid namespaces:
# the only network is a private loopback, mounts vanish when the command ends, and so does
# every process the command left behind (a daemon the playbook started by mistake included).
# Inside the root filesystem /proc is this pid namespace's, with /proc/sys read-only so no
# sysctl can reach the running kernel.
#
#   test/provision/isolated.sh ROOTFS COMMAND [ARG...]
set -euo pipefail

if [[ ${TWINFLOW_ISOLATED:-} != 1 ]]; then
  TWINFLOW_ISOLATED=1 exec unshare --net --mount --pid --fork --kill-child --propagation private "$0" "$@"
fi

root=$1
shift
[[ -x $root/bin/sh ]] || { printf 'isolated: %s is not a root filesystem\n' "$root" >&2; exit 1; }

ip link set lo up
mount -t proc proc "$root/proc"
mount --bind "$root/proc/sys" "$root/proc/sys"
mount -o remount,bind,ro "$root/proc/sys"

# Not exec: bash stays pid 1 and reaps, and the command is not mistaken for the init system.
"$@"
