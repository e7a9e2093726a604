/**
 * A Debian 12 root filesystem to apply the playbook to. debootstrap is slow, so the built
 * filesystem is kept as a tarball outside the repository, named after everything that goes
 * into it; each test run extracts a fresh copy and removes it afterwards.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "./commands.js";

const BUILD_SCRIPT = fileURLToPath(new URL("./build-rootfs.sh", import.meta.url));
const CACHE_DIR = "/var/cache/twinflow-test";
const SUITE = "bookworm";
const MIRROR = "http://deb.debian.org/debian";

/**
 * What a Debian 12 server has beyond minbase (systemd as init, ssh, certificates, procps),
 * everything the roles install (certbot only comes with a domain, which the test leaves
 * unset), and python3 with its apt bindings for Ansible's modules. The playbook runs without
 * an apt cache refresh (twinflow_apt_update=false) and with no network, so `state: present`
 * must find each one already installed.
 */
const ROOTFS_PACKAGES = [
  "ca-certificates",
  "docker-compose",
  "docker.io",
  "fail2ban",
  "iptables",
  "openssh-client",
  "openssh-server",
  "openssl",
  "procps",
  "python3",
  "python3-apt",
  "python3-systemd",
  "sudo",
  "systemd",
  "systemd-sysv",
  "ufw",
  "unattended-upgrades",
];

/** Where copies are extracted: on disk, as a copy is half a gigabyte. */
const WORK_DIR = "/var/tmp";
const COPY_PREFIX = "twinflow-rootfs-";
const TAR_OPTIONS = ["--zstd", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls"];

export interface RootfsTarball {
  path: string;
  /** How long building it took, or null when it came from the cache. */
  buildMs: number | null;
}

/** The cached tarball, built first when no tarball for this package list exists. */
export async function cachedRootfsTarball(): Promise<RootfsTarball> {
  const tarball = path.join(CACHE_DIR, `rootfs-${SUITE}-${await cacheKey()}.tar.zst`);
  if (existsSync(tarball)) return { path: tarball, buildMs: null };

  await mkdir(CACHE_DIR, { recursive: true });
  const started = Date.now();
  const build = await runCommand(BUILD_SCRIPT, [SUITE, MIRROR, [...ROOTFS_PACKAGES].sort().join(","), tarball], { timeoutMs: 30 * 60_000 });
  if (build.code !== 0) {
    throw new Error(`could not build the ${SUITE} root filesystem from ${MIRROR} (debootstrap needs that mirror):\n${build.stderr}`);
  }
  await removeOtherTarballs(tarball);
  return { path: tarball, buildMs: Date.now() - started };
}

/**
 * A fresh copy of the root filesystem in a new temporary directory, named after this process
 * so that a copy left by a run that was killed is recognised and removed by the next.
 */
export async function extractRootfs(tarball: string): Promise<string> {
  await removeAbandonedCopies();
  const dir = await mkdtemp(path.join(WORK_DIR, `${COPY_PREFIX}${process.pid}-`));
  const extract = await runCommand("tar", ["--extract", ...TAR_OPTIONS, "-C", dir, "-f", tarball], { timeoutMs: 5 * 60_000 });
  if (extract.code !== 0) throw new Error(`could not extract ${tarball}: ${extract.stderr}`);
  return dir;
}

/**
 * Removes an extracted copy. Every mount the harness makes lives in a namespace that is
 * gone by now; should one still show under the copy, removing through it could reach the
 * host's files, so that is refused.
 */
export async function removeRootfs(dir: string): Promise<void> {
  const mounts = (await readFile("/proc/self/mountinfo", "utf8")).split("\n").map((line) => line.split(" ")[4] ?? "");
  const inside = mounts.filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`));
  if (inside.length > 0) throw new Error(`not removing ${dir}: still mounted at ${inside.join(", ")}`);
  await rm(dir, { recursive: true, force: true });
}

/** Copies (and build-rootfs.sh's work directories) whose process is gone. */
async function removeAbandonedCopies(): Promise<void> {
  for (const name of await readdir(WORK_DIR)) {
    const pid = Number(new RegExp(`^${COPY_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (pid && !isAlive(pid)) await removeRootfs(path.join(WORK_DIR, name));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function cacheKey(): Promise<string> {
  const hash = createHash("sha256");
  hash.update([SUITE, MIRROR, ...[...ROOTFS_PACKAGES].sort()].join("\n"));
  hash.update(await readFile(BUILD_SCRIPT));
  return hash.digest("hex").slice(0, 16);
}

async function removeOtherTarballs(keep: string): Promise<void> {
  for (const name of await readdir(CACHE_DIR)) {
    if (name.startsWith("rootfs-") && name !== path.basename(keep)) await rm(path.join(CACHE_DIR, name), { force: true });
  }
}
