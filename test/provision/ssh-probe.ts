/**
 * Logs in to the root filesystem's own sshd, started on a private loopback (ssh-probe.sh),
 * and reports what the server offered and allowed.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runIsolated } from "./commands.js";

const PROBE_SCRIPT = fileURLToPath(new URL("./ssh-probe.sh", import.meta.url));

export interface LoginAttempt {
  code: number;
  stdout: string;
  /** The client's -v log. */
  log: string;
  /** Every "Authentications that can continue" list the server sent, in order. */
  offeredMethods: string[][];
  /** The methods the client went on to try after `none`. */
  triedMethods: string[];
}

export interface SshProbeResult {
  /** Offering only a password or keyboard-interactive, with a wrong password ready. */
  passwordLogin: LoginAttempt;
  /** With the deploy user's private key. */
  keyLogin: LoginAttempt;
  sshdLog: string;
}

/** sshdOptions (`-o Key=value`) override the root filesystem's configuration for this probe only. */
export async function probeSsh(rootfs: string, user: string, privateKey: string, sshdOptions: string[] = []): Promise<SshProbeResult> {
  const out = await mkdtemp(path.join(tmpdir(), "twinflow-ssh-probe-"));
  try {
    const probe = await runIsolated(rootfs, [PROBE_SCRIPT, rootfs, user, privateKey, out, ...sshdOptions]);
    if (probe.code !== 0) throw new Error(`the ssh probe failed (${probe.code}):\n${probe.stdout}${probe.stderr}`);
    return {
      passwordLogin: await readAttempt(out, "password"),
      keyLogin: await readAttempt(out, "key"),
      sshdLog: await readFile(path.join(out, "sshd.log"), "utf8"),
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

async function readAttempt(out: string, name: string): Promise<LoginAttempt> {
  const read = (suffix: string) => readFile(path.join(out, `${name}.${suffix}`), "utf8");
  const log = await read("log");
  return {
    code: Number((await read("code")).trim()),
    stdout: await read("stdout"),
    log,
    offeredMethods: [...log.matchAll(/Authentications that can continue: (\S+)/g)].map((match) => match[1]!.split(",")),
    triedMethods: [...log.matchAll(/Next authentication method: (\S+)/g)].map((match) => match[1]!),
  };
}
