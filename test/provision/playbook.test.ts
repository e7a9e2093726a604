/**
 * The Ansible playbook (ansible/site.yml) applied for real: to a fresh Debian 12 root
 * filesystem through the chroot connection, isolated from this machine (no network, no
 * service starts, no sysctl reaching the running kernel). Then what a server provisioned
 * with it would really do: sshd's effective settings and a live login attempt, fail2ban,
 * the firewall's rules, enabled units, automatic upgrades, the appliance's secrets file; a
 * second run changes nothing; and a broken sshd value stops the play with the old config kept.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyPlaybook, lintPlaybook, prepareChrootPlaybook, roleYamlFileCount, syntaxCheckPlaybook, type ChrootPlaybook, type PlaybookRun } from "./ansible.js";
import { outputOf, runCommand, runInRootfs } from "./commands.js";
import { aptConfig, shellAssignments, sshdSettings, treeDigest, ufwRules, unbootedSshdSettings, unitStates } from "./rootfs-state.js";
import { cachedRootfsTarball, extractRootfs, removeRootfs } from "./rootfs.js";
import { probeSsh } from "./ssh-probe.js";
import { sshdProblems, type SshdSettings } from "./sshd-policy.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEPLOY_USER = "deploy";
/** compose/.env's secrets; the vault holds each as vault_<name in lower case>. */
const SECRETS = {
  POSTGRES_SUPERUSER_PASSWORD: randomBytes(24).toString("hex"),
  POSTGRES_OWNER_PASSWORD: randomBytes(24).toString("hex"),
  POSTGRES_APP_PASSWORD: randomBytes(24).toString("hex"),
  REDIS_PASSWORD: randomBytes(24).toString("hex"),
  TWINFLOW_VAULT_KEYS: `k20250101:${randomBytes(32).toString("base64")}`,
  SESSION_SECRET: randomBytes(32).toString("base64"),
};

/**
 * A root filesystem that is not booted, and has no network to refresh package lists from;
 * given as ansible/README.md shows it.
 */
const ROOTFS_RUN = ["--extra-vars", "twinflow_live_host=false twinflow_apt_update=false"];

let workdir: string;
let rootfs: string;
let playbook: ChrootPlaybook;
let privateKey: string;
let stockSshd: SshdSettings;
let firstRun: PlaybookRun | undefined;

beforeAll(async () => {
  const tarball = await cachedRootfsTarball();
  if (tarball.buildMs !== null) console.info(`built the root filesystem in ${Math.round(tarball.buildMs / 1000)} s: ${tarball.path}`);
  workdir = await mkdtemp(path.join(tmpdir(), "twinflow-provision-"));
  rootfs = await extractRootfs(tarball.path);
  stockSshd = await unbootedSshdSettings(rootfs, DEPLOY_USER);

  privateKey = path.join(workdir, "id_ed25519");
  await outputOf(runCommand("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "twinflow-test", "-f", privateKey]), "ssh-keygen");
  const publicKey = (await readFile(`${privateKey}.pub`, "utf8")).trim();

  const vault = Object.fromEntries(Object.entries(SECRETS).map(([name, value]) => [`vault_${name.toLowerCase()}`, value]));
  const settings = {
    twinflow_deploy_user: DEPLOY_USER,
    twinflow_deploy_authorized_keys: [publicKey],
    // The playbook runs from a copy of ansible/; the stack is still shipped from this repository.
    twinflow_source_dir: REPO_ROOT,
  };
  playbook = await prepareChrootPlaybook(workdir, rootfs, { settings, vault });
}, 40 * 60_000);

afterAll(async () => {
  if (rootfs) await removeRootfs(rootfs);
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

/** The state tests read what the first run left; without it they would only repeat its failure. */
function requireFirstRun(): void {
  if (firstRun?.code !== 0) throw new Error("the first playbook run did not succeed: see that test");
}

describe.sequential("ansible/site.yml", () => {
  it("passes ansible-lint and ansible-playbook --syntax-check", async () => {
    const home = path.join(workdir, "lint-home");
    const [lint, syntax] = await Promise.all([lintPlaybook(home), syntaxCheckPlaybook(home)]);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    // Every role's files were read, not only site.yml.
    const linted = Number(/0 failure\(s\), 0 warning\(s\) on (\d+) files/.exec(lint.stderr)?.[1]);
    expect(linted, lint.stderr).toBeGreaterThanOrEqual(await roleYamlFileCount());
    expect(syntax.code, syntax.stdout + syntax.stderr).toBe(0);
  }, 5 * 60_000);

  it("applies to a fresh Debian 12 root filesystem without a failed task", async () => {
    firstRun = await applyPlaybook(playbook, ROOTFS_RUN);
    expect(firstRun.failedTasks, firstRun.output).toEqual([]);
    expect(firstRun.recap, firstRun.output).toMatchObject({ failed: 0, unreachable: 0 });
    expect(firstRun.recap!.changed).toBeGreaterThan(0);
    expect(firstRun.code, firstRun.output).toBe(0);
    // Every handler starts, reloads or restarts something: none may run on a root filesystem.
    expect(firstRun.handlersRun, firstRun.output).toEqual([]);
  }, 10 * 60_000);

  it("changes nothing when applied again", async () => {
    requireFirstRun();
    const second = await applyPlaybook(playbook, ROOTFS_RUN);
    expect(second.changedTasks, second.output).toEqual([]);
    expect(second.recap, second.output).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
  }, 10 * 60_000);

  describe("sshd", () => {
    it("accepts its configuration and applies the hardened settings", async () => {
      requireFirstRun();
      await outputOf(runInRootfs(rootfs, ["/usr/sbin/sshd", "-t"]), "sshd -t");
      expect(sshdProblems(await sshdSettings(rootfs, DEPLOY_USER))).toEqual([]);
    });

    it("would flag Debian's stock configuration (the check can fail)", () => {
      expect(sshdProblems(stockSshd)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^passwordauthentication is yes/), expect.stringMatching(/^macs allows .*hmac-sha1/)]),
      );
    });

    it("refuses password and keyboard-interactive logins, offers only publickey, and lets the deploy key in", async () => {
      requireFirstRun();
      const probe = await probeSsh(rootfs, DEPLOY_USER, privateKey);
      const { passwordLogin, keyLogin } = probe;
      expect(passwordLogin.code, passwordLogin.log).not.toBe(0);
      expect(passwordLogin.offeredMethods.length, passwordLogin.log).toBeGreaterThan(0);
      for (const offered of passwordLogin.offeredMethods) expect(offered, passwordLogin.log).toEqual(["publickey"]);
      expect(passwordLogin.triedMethods).toEqual([]);
      expect(passwordLogin.log).toContain("Permission denied (publickey)");

      expect(keyLogin.code, keyLogin.log + probe.sshdLog).toBe(0);
      expect(keyLogin.stdout.trim()).toBe(DEPLOY_USER);
      expect(probe.sshdLog).toMatch(new RegExp(`Accepted publickey for ${DEPLOY_USER} from 127\\.0\\.0\\.1`));
    }, 60_000);

    it("the same probe sees a password offered and tried when sshd allows it (the probe can fail)", async () => {
      requireFirstRun();
      const permissive = ["-o", "PasswordAuthentication=yes", "-o", "AuthenticationMethods=any"];
      const { passwordLogin, sshdLog } = await probeSsh(rootfs, DEPLOY_USER, privateKey, permissive);
      expect(passwordLogin.offeredMethods[0]).toContain("password");
      expect(passwordLogin.triedMethods).toContain("password");
      expect(sshdLog).toContain(`Failed password for ${DEPLOY_USER}`);
    }, 60_000);
  });

  it("fail2ban accepts its configuration", async () => {
    requireFirstRun();
    await outputOf(runInRootfs(rootfs, ["fail2ban-client", "-t"]), "fail2ban-client -t");
  });

  it("ufw comes up at boot dropping incoming traffic except SSH (rate-limited), HTTP and HTTPS", async () => {
    requireFirstRun();
    const settings = shellAssignments(await readFile(path.join(rootfs, "etc/ufw/ufw.conf"), "utf8"));
    expect(settings.get("ENABLED"), "ufw.service loads no rules unless ufw.conf says ENABLED=yes").toBe("yes");
    const defaults = shellAssignments(await readFile(path.join(rootfs, "etc/default/ufw"), "utf8"));
    expect(defaults.get("DEFAULT_INPUT_POLICY")).toBe("DROP");
    for (const rulesFile of ["user.rules", "user6.rules"]) {
      const inbound = ufwRules(await readFile(path.join(rootfs, "etc/ufw", rulesFile), "utf8")).filter((rule) => rule.direction === "in");
      const summary = inbound.map((rule) => `${rule.action} ${rule.port}/${rule.protocol}`).sort();
      expect(summary, rulesFile).toEqual(["allow 443/tcp", "allow 80/tcp", "limit 22/tcp"]);
    }
    // The playbook writes these files itself: ufw must read them as its own, with no malformed rule.
    const added = await runInRootfs(rootfs, ["ufw", "show", "added"]);
    expect(added.stderr).toBe("");
    expect(added.stdout.trim().split("\n").slice(1).sort()).toEqual(["ufw allow 443/tcp", "ufw allow 80/tcp", "ufw limit 22/tcp"]);
  });

  it("enables ssh, fail2ban, ufw, unattended-upgrades, docker and the stack at boot", async () => {
    requireFirstRun();
    const units = ["ssh", "fail2ban", "ufw", "unattended-upgrades", "docker", "twinflow"];
    expect(await unitStates(rootfs, units)).toEqual(Object.fromEntries(units.map((unit) => [unit, "enabled"])));
  });

  it("turns on periodic package-list updates and unattended upgrades", async () => {
    requireFirstRun();
    const apt = await aptConfig(rootfs);
    expect(apt.get("APT::Periodic::Update-Package-Lists")).toBe("1");
    expect(apt.get("APT::Periodic::Unattended-Upgrade")).toBe("1");
  });

  it("writes the appliance's env file for the deploy user's eyes only, with the vault's secrets", async () => {
    requireFirstRun();
    const envFile = path.join(rootfs, "opt/twinflow/compose/.env");
    const deployUid = Number(await outputOf(runInRootfs(rootfs, ["id", "-u", DEPLOY_USER]), "id -u"));
    const { uid, mode } = await stat(envFile);
    expect(uid).toBe(deployUid);
    expect(mode & 0o777).toBe(0o600);
    const text = await readFile(envFile, "utf8");
    expect(parseEnv(text)).toMatchObject(SECRETS);
    expect(text).not.toMatch(/placeholder|change_?me|example\.com|\{\{/i);
  });

  it("stops at validation on a broken sshd value and keeps the previous configuration", async () => {
    requireFirstRun();
    const sshDir = path.join(rootfs, "etc/ssh");
    const before = await treeDigest(sshDir);
    const typo = { twinflow_ssh_ciphers: ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.con"] };
    const broken = await applyPlaybook(playbook, [...ROOTFS_RUN, "--extra-vars", JSON.stringify(typo)]);
    expect(broken.code).not.toBe(0);
    // One failure: the sshd configuration task, refused by its `sshd -t` validation.
    expect(broken.failedTasks.map((failure) => failure.task), broken.output).toEqual([expect.stringMatching(/^hardening : .*SSH/i)]);
    expect(broken.failedTasks[0]!.message).toMatch(/failed to validate.*Bad SSH2 cipher spec/);
    expect(await treeDigest(sshDir)).toBe(before);
  }, 10 * 60_000);
});
