/**
 * Reads the effective state of a provisioned root filesystem with its own tools (sshd -T,
 * systemctl, apt-config), run inside it, isolated; and ufw's rules from its files, since
 * ufw is never enabled there.
 */
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { outputOf, runInRootfs } from "./commands.js";
import { parseSshdSettings, type SshdSettings } from "./sshd-policy.js";

/** A connection for `sshd -T -C`: Match blocks resolve against it. */
const connectionSpec = (user: string) => `user=${user},host=localhost,addr=127.0.0.1`;

/** The settings sshd applies to a connection from `user` at 127.0.0.1. */
export async function sshdSettings(rootfs: string, user: string): Promise<SshdSettings> {
  const text = await outputOf(runInRootfs(rootfs, ["/usr/sbin/sshd", "-T", "-C", connectionSpec(user)]), "sshd -T");
  return parseSshdSettings(text);
}

/**
 * The same on a root filesystem as debootstrap left it: sshd refuses to start without its
 * privilege separation directory, which systemd makes when ssh.service starts. It is made for
 * this read alone, so the playbook still meets the filesystem as it was never booted.
 */
export async function unbootedSshdSettings(rootfs: string, user: string): Promise<SshdSettings> {
  const read = `mkdir /run/sshd && /usr/sbin/sshd -T -C ${connectionSpec(user)}; status=$?; rmdir /run/sshd; exit $status`;
  return parseSshdSettings(await outputOf(runInRootfs(rootfs, ["sh", "-c", read]), "sshd -T"));
}

/** `systemctl is-enabled` for each unit: "enabled", "disabled", "not-found"… */
export async function unitStates(rootfs: string, units: string[]): Promise<Record<string, string>> {
  const states: Record<string, string> = {};
  for (const unit of units) {
    const { stdout, stderr } = await runInRootfs(rootfs, ["systemctl", "is-enabled", unit]);
    states[unit] = (stdout.trim() || stderr.trim()).split("\n")[0]!;
  }
  return states;
}

/** `apt-config dump` as a map of option to value. */
export async function aptConfig(rootfs: string): Promise<Map<string, string>> {
  const text = await outputOf(runInRootfs(rootfs, ["apt-config", "dump"]), "apt-config dump");
  const options = new Map<string, string>();
  for (const match of text.matchAll(/^(\S+) "(.*)";$/gm)) options.set(match[1]!, match[2]!);
  return options;
}

export interface UfwRule {
  action: string;
  protocol: string;
  port: string;
  direction: string;
}

/** The rules ufw keeps in user.rules / user6.rules (its `### tuple ###` lines). */
export function ufwRules(text: string): UfwRule[] {
  // ### tuple ### action protocol port destination source-port source direction
  return [...text.matchAll(/^### tuple ### (\S+) (\S+) (\S+) \S+ \S+ \S+ (\S+)/gm)].map((match) => ({
    action: match[1]!,
    protocol: match[2]!,
    port: match[3]!,
    direction: match[4]!,
  }));
}

/** Settings of a KEY="value" file such as /etc/default/ufw. */
export function shellAssignments(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^([A-Z_][A-Z0-9_]*)=("?)(.*)\2\s*$/gm)].map((match) => [match[1]!, match[3]!]));
}

/** A digest of every file under a directory, to show a failed run left it untouched. */
export async function treeDigest(dir: string): Promise<string> {
  const hash = createHash("sha256");
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  for (const file of files.sort()) {
    hash.update(`${path.relative(dir, file)}\0`);
    hash.update(await readFile(file));
  }
  return hash.digest("hex");
}
