/**
 * Drives ansible/ from the tests: lint, syntax check, and applying site.yml to a root
 * filesystem through the chroot connection, always without a network (unshare --net) and
 * with a throwaway HOME so no ~/.ansible state of this machine takes part.
 */
import { cp, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isSeq, parseDocument, stringify } from "yaml";
import { runCommand, runIsolated, type CommandResult } from "./commands.js";

const ANSIBLE_DIR = fileURLToPath(new URL("../../ansible/", import.meta.url));
const SITE = "site.yml";
const CHROOT_SITE = "chroot-site.yml";
const ROOTFS_HOST = "twinflow-rootfs";

function ansibleEnv(home: string, ansibleDir: string): Record<string, string> {
  return {
    HOME: home,
    ANSIBLE_CONFIG: path.join(ansibleDir, "ansible.cfg"),
    ANSIBLE_LOCAL_TEMP: path.join(home, "tmp"),
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_RETRY_FILES_ENABLED: "false",
  };
}

/**
 * `ansible-lint` as `cd ansible && ansible-lint` runs it: it finds every file itself (a path
 * argument of "." would lint only two). Offline, or it would try to install collections.
 */
export function lintPlaybook(home: string): Promise<CommandResult> {
  return runCommand("unshare", ["--net", "ansible-lint", "--offline", "--nocolor", "--parseable"], {
    env: ansibleEnv(home, ANSIBLE_DIR),
    cwd: ANSIBLE_DIR,
    timeoutMs: 5 * 60_000,
  });
}

/** How many YAML files the roles have: a lint that read fewer skipped some. */
export async function roleYamlFileCount(): Promise<number> {
  const files = await readdir(path.join(ANSIBLE_DIR, "roles"), { recursive: true });
  return files.filter((file) => /\.ya?ml$/.test(file)).length;
}

export function syntaxCheckPlaybook(home: string): Promise<CommandResult> {
  return runCommand("unshare", ["--net", "ansible-playbook", "--syntax-check", SITE], {
    env: ansibleEnv(home, ANSIBLE_DIR),
    cwd: ANSIBLE_DIR,
  });
}

export interface ChrootPlaybook {
  rootfs: string;
  home: string;
  /** A copy of ansible/ holding chroot-site.yml beside site.yml, so group_vars and roles resolve as for site.yml. */
  ansibleDir: string;
  /** The site directory, as ansible/README.md lays it out: hosts.yml and group_vars/<group>/{main,vault}.yml. */
  inventory: string;
  vaultPasswordFile: string;
}

export interface SiteSettings {
  /** group_vars/<group>/main.yml */
  settings: Record<string, unknown>;
  /** group_vars/<group>/vault.yml, encrypted with ansible-vault. */
  vault: Record<string, unknown>;
}

/**
 * Sets up a run against the root filesystem. chroot-site.yml: site.yml's plays, each with the
 * service module pinned to systemd. Inside a chroot `service` on auto may pick the SysV
 * scripts, which start real daemons on this machine; systemctl there only edits unit links.
 * import_playbook takes no module_defaults and no setting sets them from outside, so site.yml
 * is edited as a YAML document, everything else in it kept as written. The inventory puts the
 * root filesystem in every group the plays target, with the settings and the vault in each
 * group's group_vars, where an operator keeps theirs.
 */
export async function prepareChrootPlaybook(workdir: string, rootfs: string, site: SiteSettings): Promise<ChrootPlaybook> {
  const ansibleDir = path.join(workdir, "ansible");
  const home = path.join(workdir, "home");
  const inventory = path.join(workdir, "site");
  const vaultPasswordFile = path.join(workdir, "vault-password");
  await cp(ANSIBLE_DIR, ansibleDir, { recursive: true });
  await mkdir(path.join(home, "tmp"), { recursive: true });

  const playbook = parseDocument(await readFile(path.join(ANSIBLE_DIR, SITE), "utf8"));
  if (!isSeq(playbook.contents)) throw new Error(`${SITE} is not a list of plays`);
  const groups = new Set<string>();
  for (const play of playbook.contents.items) {
    const hosts: unknown = isMap(play) ? play.get("hosts") : undefined;
    if (!isMap(play) || typeof hosts !== "string") throw new Error(`${SITE}: every entry must be a play with hosts, found ${String(play)}`);
    for (const group of hosts.split(/[,:]/).map((name) => name.trim())) if (group) groups.add(group);
    play.setIn(["module_defaults", "ansible.builtin.service", "use"], "systemd");
  }
  await writeFile(path.join(ansibleDir, CHROOT_SITE), playbook.toString());

  const host = { ansible_host: rootfs, ansible_connection: "community.general.chroot", ansible_python_interpreter: "/usr/bin/python3" };
  const children = Object.fromEntries([...groups].filter((group) => group !== "all").map((group) => [group, { hosts: { [ROOTFS_HOST]: null } }]));
  await mkdir(inventory);
  await writeFile(path.join(inventory, "hosts.yml"), stringify({ all: { hosts: { [ROOTFS_HOST]: host }, children } }));
  await writeFile(vaultPasswordFile, "twinflow-test-vault-password\n", { mode: 0o600 });
  for (const group of groups) {
    const groupVars = path.join(inventory, "group_vars", group);
    await mkdir(groupVars, { recursive: true });
    await writeFile(path.join(groupVars, "main.yml"), stringify(site.settings));
    await writeVault(path.join(groupVars, "vault.yml"), site.vault, vaultPasswordFile);
  }
  return { rootfs, home, ansibleDir, inventory, vaultPasswordFile };
}

async function writeVault(file: string, vars: Record<string, unknown>, passwordFile: string): Promise<void> {
  await writeFile(file, stringify(vars), { mode: 0o600 });
  const encrypt = await runCommand("ansible-vault", ["encrypt", "--vault-password-file", passwordFile, file], { env: { HOME: path.dirname(passwordFile) } });
  if (encrypt.code !== 0) throw new Error(`ansible-vault encrypt failed: ${encrypt.stderr}`);
}

export interface Recap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
}

export interface PlaybookRun {
  code: number | null;
  output: string;
  recap: Recap | null;
  /** Names of the tasks that reported a change. */
  changedTasks: string[];
  /** Names of the handlers that ran rather than being skipped. */
  handlersRun: string[];
  /** Names of the tasks that failed, with what Ansible said. */
  failedTasks: { task: string; message: string }[];
}

/** Applies the playbook to the root filesystem, isolated (isolated.sh); args go to ansible-playbook. */
export async function applyPlaybook(playbook: ChrootPlaybook, args: string[]): Promise<PlaybookRun> {
  const command = ["ansible-playbook", "-i", playbook.inventory, "--vault-password-file", playbook.vaultPasswordFile, CHROOT_SITE, ...args];
  const run = await runIsolated(playbook.rootfs, command, {
    env: ansibleEnv(playbook.home, playbook.ansibleDir),
    cwd: playbook.ansibleDir,
    timeoutMs: 10 * 60_000,
  });
  const output = run.stdout + run.stderr;
  return { code: run.code, output, ...parsePlaybookOutput(output) };
}

/** Reads the default callback's output: the recap line, which tasks changed or failed, which handlers ran. */
function parsePlaybookOutput(output: string): Pick<PlaybookRun, "recap" | "changedTasks" | "handlersRun" | "failedTasks"> {
  const changedTasks: string[] = [];
  const handlersRun: string[] = [];
  const failedTasks: { task: string; message: string }[] = [];
  let task = "";
  let inHandler = false;
  let recap: Recap | null = null;
  const note = (list: string[]) => list.at(-1) !== task && list.push(task);
  for (const line of output.split("\n")) {
    const header = /^(TASK|RUNNING HANDLER) \[(.*)\] \*+$/.exec(line);
    if (header) {
      inHandler = header[1] === "RUNNING HANDLER";
      task = header[2]!;
    }
    if (/^changed: \[/.test(line)) note(changedTasks);
    if (inHandler && /^(ok|changed): \[/.test(line)) note(handlersRun);
    if (/^(fatal|failed): \[/.test(line)) failedTasks.push({ task, message: line });
    const counts = /^\S+\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)/.exec(line);
    if (counts) {
      const [ok, changed, unreachable, failed, skipped] = counts.slice(1).map(Number) as [number, number, number, number, number];
      recap = { ok, changed, unreachable, failed, skipped };
    }
  }
  return { recap, changedTasks, handlersRun, failedTasks };
}
