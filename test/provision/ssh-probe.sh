#!/usr/bin/env bash
# Starts the root filesystem's own sshd on a private loopback and logs in to it with this
# machine's ssh client twice: once offering only a password or keyboard-interactive (with a
# wrong password ready, so the client really tries if the server lets it), once with the key.
# Run it through isolated.sh, which gives it the private network. Each attempt leaves its
# exit code, stdout and verbose log in OUT_DIR; extra arguments go to sshd (-o Key=value).
#
#   isolated.sh ROOTFS test/provision/ssh-probe.sh ROOTFS USER PRIVATE_KEY OUT_DIR [SSHD_ARG...]
set -euo pipefail

root=$1 user=$2 key=$3 out=$4
shift 4
port=2222

chroot "$root" /usr/sbin/sshd -D -e -p "$port" -o ListenAddress=127.0.0.1 "$@" 2>"$out/sshd.log" &
sshd_pid=$!
trap 'kill "$sshd_pid" 2>/dev/null || true' EXIT

listening=false
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    listening=true
    break
  fi
  kill -0 "$sshd_pid" 2>/dev/null || { printf 'ssh-probe: sshd exited: %s\n' "$(cat "$out/sshd.log")" >&2; exit 1; }
  sleep 0.1
done
$listening || { printf 'ssh-probe: sshd did not listen on port %s within 10 s\n' "$port" >&2; exit 1; }

client=(ssh -v -F /dev/null -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10)

printf '#!/bin/sh\necho not-the-password\n' >"$out/askpass"
chmod 700 "$out/askpass"
set +e
SSH_ASKPASS="$out/askpass" SSH_ASKPASS_REQUIRE=force \
  "${client[@]}" -o PreferredAuthentications=password,keyboard-interactive -o NumberOfPasswordPrompts=1 \
  "$user@127.0.0.1" true </dev/null >"$out/password.stdout" 2>"$out/password.log"
echo $? >"$out/password.code"

"${client[@]}" -o BatchMode=yes -o PreferredAuthentications=publickey -o IdentitiesOnly=yes -i "$key" \
  "$user@127.0.0.1" id -un </dev/null >"$out/key.stdout" 2>"$out/key.log"
echo $? >"$out/key.code"
