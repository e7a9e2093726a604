/**
 * The appliance's security and start-up promises, as checks over the configuration that
 * `docker-compose config` prints. Each check returns the problems it finds (none: it holds).
 */
import { unpinnedReason } from "./image-ref.js";

type PortSpec = string | number | { host_ip?: string; published?: string | number; target?: string | number };

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  user?: string;
  privileged?: boolean;
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  mem_limit?: string | number;
  cpus?: string | number;
  pids_limit?: string | number;
  ports?: PortSpec[];
  network_mode?: string;
  networks?: Record<string, unknown> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  logging?: { driver?: string; options?: Record<string, string> };
  environment?: Record<string, string | null>;
  restart?: string;
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

/** What a check knows besides the config: the secrets compose read from the env file, by name. */
export interface PolicyContext {
  secrets: Record<string, string>;
}

export type ComposePolicy = (config: ComposeConfig, context: PolicyContext) => string[];

/** The roles that run the TwinFlow image. */
export const APP_SERVICES = ["migrate", "web", "worker", "scheduler", "backup"];
const LONG_RUNNING_APP_SERVICES = ["web", "worker", "scheduler", "backup"];
const DATASTORES = ["postgres", "redis"];
/** The roles that call provider APIs, and the edge. */
const OUTSIDE_REACHING = ["nginx", "web", "worker", "backup"];
const NGINX_CAPABILITIES = ["NET_BIND_SERVICE", "CHOWN", "SETUID", "SETGID", "DAC_OVERRIDE"];
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|VAULT_KEYS|PRIVATE_KEY|API_KEY|REDISCLI_AUTH/;

interface PublishedPort {
  hostIp: string;
  published: string;
  target: string;
}

/** Ports as published on the host; a missing host address means every interface. */
function publishedPorts(service: ComposeService): PublishedPort[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === "object") {
      return { hostIp: port.host_ip ?? "0.0.0.0", published: String(port.published ?? "(random)"), target: String(port.target) };
    }
    const spec = String(port).replace(/\/(tcp|udp|sctp)$/, "");
    const match = /^(?:(\[[^\]]+\]|[^:]+):)?(?:([^:]*):)?([^:]+)$/.exec(spec);
    if (!match) return { hostIp: "0.0.0.0", published: spec, target: spec };
    const [, first, second, target] = match;
    // "a:b" is published:target; "ip:a:b" adds the host address.
    const hostIp = second === undefined ? undefined : first;
    const published = second === undefined ? first : second;
    return { hostIp: hostIp?.replace(/^\[|\]$/g, "") || "0.0.0.0", published: published || "(random)", target: target! };
  });
}

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1" || address === "localhost";
}

function describePort(port: PublishedPort): string {
  return `${port.hostIp}:${port.published}->${port.target}`;
}

/** A compose memory size ("512m", "1g", or bytes) in MB. */
function megabytes(size: string | number | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(String(size ?? "").trim());
  if (!match) return undefined;
  const scale: Record<string, number> = { "": 1 / 1024 ** 2, k: 1 / 1024, m: 1, g: 1024 };
  return Number(match[1]) * scale[match[2]!.toLowerCase()]!;
}

function networksOf(service: ComposeService): string[] {
  if (!service.networks) return ["default"];
  return Array.isArray(service.networks) ? service.networks : Object.keys(service.networks);
}

function isInternal(config: ComposeConfig, network: string): boolean {
  return config.networks?.[network]?.internal === true;
}

function commandOf(service: ComposeService): string[] {
  const command = service.command ?? [];
  return Array.isArray(command) ? command : command.split(/\s+/).filter(Boolean);
}

function healthcheckDeclared(service: ComposeService): boolean {
  const test = service.healthcheck?.test;
  const words = Array.isArray(test) ? test : test ? [test] : [];
  return service.healthcheck?.disable !== true && words.length > 0 && words[0] !== "NONE";
}

function dependencyCondition(service: ComposeService, dependency: string): string | undefined {
  const dependsOn = service.depends_on;
  if (!dependsOn) return undefined;
  if (Array.isArray(dependsOn)) return dependsOn.includes(dependency) ? "service_started" : undefined;
  return dependsOn[dependency] ? (dependsOn[dependency].condition ?? "service_started") : undefined;
}

/** Problems for each named service the config lacks, then `check` on each present one. */
function forEach(config: ComposeConfig, names: string[], check: (name: string, service: ComposeService) => string[]): string[] {
  return names.flatMap((name) => {
    const service = config.services[name];
    return service ? check(name, service) : [`${name}: no such service`];
  });
}

function forAll(config: ComposeConfig, check: (name: string, service: ComposeService) => string[]): string[] {
  return forEach(config, Object.keys(config.services), check);
}

/** Images the project builds itself (its own services' build sections) need no registry pin. */
function builtImages(config: ComposeConfig): Set<string> {
  return new Set(Object.values(config.services).filter((service) => service.build && service.image).map((service) => service.image!));
}

/** A URL's password, when it has one. */
function urlPassword(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return undefined;
  try {
    return decodeURIComponent(new URL(value).password) || undefined;
  } catch {
    return undefined;
  }
}

export const COMPOSE_POLICIES = {
  "only nginx publishes ports": (config) =>
    forAll(config, (name, service) => [
      ...(name === "nginx" ? [] : publishedPorts(service).map((port) => `${name} publishes ${describePort(port)}`)),
      ...(service.network_mode === "host" ? [`${name} uses the host's network`] : []),
    ]),

  "postgres and redis sit on internal networks only": (config) =>
    forEach(config, DATASTORES, (name, service) => [
      ...publishedPorts(service).map((port) => `${name} publishes ${describePort(port)}`),
      ...(service.network_mode ? [`${name} uses network_mode ${service.network_mode}`] : []),
      ...networksOf(service)
        .filter((network) => !isInternal(config, network))
        .map((network) => `${name} is on ${network}, which is not internal`),
    ]),

  "only nginx, web and worker reach outside networks": (config) =>
    forAll(config, (name, service) =>
      OUTSIDE_REACHING.includes(name)
        ? []
        : networksOf(service)
            .filter((network) => !isInternal(config, network))
            .map((network) => `${name} is on ${network}, which reaches outside`),
    ),

  "redis requires a password, never given on a command line": (config) =>
    forEach(config, ["redis"], (_, service) => {
      const command = commandOf(service);
      const problems: string[] = [];
      const at = command.indexOf("--requirepass");
      if (at < 0 || !command[at + 1]) problems.push("redis starts without --requirepass");
      const protectedMode = command.indexOf("--protected-mode");
      if (protectedMode >= 0 && command[protectedMode + 1] === "no") problems.push("redis starts with --protected-mode no");
      const test = service.healthcheck?.test;
      const probe = Array.isArray(test) ? test.join(" ") : (test ?? "");
      if (/\s(-a|--pass|--user)\s/.test(` ${probe} `)) problems.push("redis's health check passes the password on its command line");
      if (!service.environment?.REDISCLI_AUTH) problems.push("redis's health check has no REDISCLI_AUTH to authenticate with");
      return problems;
    }),

  "app containers run as a non-root numeric user": (config) =>
    forEach(config, APP_SERVICES, (name, service) => {
      const match = /^(\d+)(?::(\d+))?$/.exec(String(service.user ?? ""));
      if (!match) return [`${name} has no numeric user (user: ${service.user ?? "unset, so the image's"})`];
      if (match[1] === "0" || match[2] === "0") return [`${name} runs as root (user: ${service.user})`];
      return [];
    }),

  "app containers and nginx have a read-only root filesystem": (config) =>
    forEach(config, [...APP_SERVICES, "nginx"], (name, service) => (service.read_only === true ? [] : [`${name} is not read_only`])),

  "app containers and nginx drop every capability; nginx adds back only what it needs": (config) =>
    forAll(config, (name, service) => {
      const problems = service.privileged ? [`${name} is privileged`] : [];
      if (![...APP_SERVICES, "nginx"].includes(name)) return problems;
      if (!(service.cap_drop ?? []).includes("ALL")) problems.push(`${name} does not drop ALL capabilities`);
      const allowed = name === "nginx" ? NGINX_CAPABILITIES : [];
      for (const capability of service.cap_add ?? []) {
        if (!allowed.includes(capability)) problems.push(`${name} adds capability ${capability}`);
      }
      return problems;
    }),

  "every container forbids gaining privileges (no-new-privileges)": (config) =>
    forAll(config, (name, service) =>
      (service.security_opt ?? []).some((option) => /^no-new-privileges(?:[:=]true)?$/.test(option)) ? [] : [`${name} lacks no-new-privileges`],
    ),

  "every long-running container declares a health check": (config) =>
    forEach(config, [...LONG_RUNNING_APP_SERVICES, ...DATASTORES], (name, service) => (healthcheckDeclared(service) ? [] : [`${name} has no health check`])),

  "every container has memory, CPU and process limits": (config) =>
    forAll(config, (name, service) =>
      (["mem_limit", "cpus", "pids_limit"] as const).filter((limit) => service[limit] === undefined || Number.parseFloat(String(service[limit])) <= 0).map((limit) => `${name} has no ${limit}`),
    ),

  "the worker's JavaScript heap is capped at no more than half its container's memory": (config) =>
    forEach(config, ["worker"], (name, service) => {
      const heap = /--max-old-space-size=(\d+)/.exec(service.environment?.NODE_OPTIONS ?? "");
      if (!heap) return [`${name} sets no --max-old-space-size in NODE_OPTIONS`];
      const limit = megabytes(service.mem_limit);
      return limit !== undefined && Number(heap[1]) <= limit / 2 ? [] : [`${name}'s heap of ${heap[1]} MB is more than half its mem_limit (${service.mem_limit ?? "none"})`];
    }),

  "web, worker and scheduler wait for migrate and for healthy stores": (config) =>
    forEach(config, LONG_RUNNING_APP_SERVICES, (name, service) =>
      Object.entries({ migrate: "service_completed_successfully", postgres: "service_healthy", redis: "service_healthy" })
        .filter(([dependency, condition]) => dependencyCondition(service, dependency) !== condition)
        .map(([dependency, condition]) => `${name} does not wait for ${dependency} (${condition})`),
    ),

  "nginx waits for a healthy web": (config) =>
    forEach(config, ["nginx"], (_, service) => (dependencyCondition(service, "web") === "service_healthy" ? [] : ["nginx does not wait for web (service_healthy)"])),

  "pulled images are pinned to an exact release": (config) => {
    const built = builtImages(config);
    return forAll(config, (name, service) => {
      if (service.build || (service.image && built.has(service.image))) return [];
      if (!service.image) return [`${name} has neither an image nor a build`];
      const reason = unpinnedReason(service.image);
      return reason ? [`${name}: ${reason}`] : [];
    });
  },

  "every container rotates its logs": (config) =>
    forAll(config, (name, service) => {
      const { driver, options = {} } = service.logging ?? {};
      if (driver === "local") return [];
      if (driver !== "json-file") return [`${name} logs with ${driver ?? "the daemon's default driver"}, not a rotating json-file`];
      return ["max-size", "max-file"].filter((option) => !options[option]).map((option) => `${name} logs without ${option}`);
    }),

  "secrets come from the env file, never from the compose file": (config, context) => {
    const fromEnvFile = new Set(Object.values(context.secrets));
    return forAll(config, (name, service) => {
      const problems: string[] = [];
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        if (!value) continue; // unset, or passed through from compose's own environment
        if (SECRET_NAME.test(variable) && !fromEnvFile.has(value)) problems.push(`${name}: ${variable} has a value written in the compose file`);
        const password = urlPassword(value);
        if (password !== undefined && !fromEnvFile.has(password)) problems.push(`${name}: ${variable} carries a password written in the compose file`);
      }
      const command = commandOf(service);
      const at = command.indexOf("--requirepass");
      if (at >= 0 && !fromEnvFile.has(command[at + 1] ?? "")) problems.push(`${name}: --requirepass has a value written in the compose file`);
      return problems;
    });
  },

  "only migrate holds the superuser credentials, only migrate and backup the owner's": (config, context) => {
    const superuser = context.secrets.POSTGRES_SUPERUSER_PASSWORD;
    const owner = context.secrets.POSTGRES_OWNER_PASSWORD;
    return forAll(config, (name, service) => {
      if (name === "migrate") return [];
      const environment = service.environment ?? {};
      const holds = (secret: string | undefined) => !!secret && Object.values(environment).some((value) => value?.includes(secret));
      const problems: string[] = [];
      if (environment.DATABASE_ADMIN_URL) problems.push(`${name} has DATABASE_ADMIN_URL`);
      // The postgres image needs the superuser password to initialise; nothing else does.
      if (name !== "postgres" && holds(superuser)) problems.push(`${name} holds the superuser password`);
      // pg_dump reads every tenant's rows, which only the owner role may; no other role needs it.
      if (name !== "backup") {
        if (environment.DATABASE_OWNER_URL) problems.push(`${name} has DATABASE_OWNER_URL`);
        if (holds(owner)) problems.push(`${name} holds the owner password`);
      }
      return problems;
    });
  },

  "long-running containers restart; migrate runs once": (config) =>
    forAll(config, (name, service) => {
      if (name === "migrate") return !service.restart || service.restart === "no" ? [] : [`migrate restarts (${service.restart}): it must run once`];
      return ["unless-stopped", "always"].includes(service.restart ?? "") ? [] : [`${name} does not restart (restart: ${service.restart ?? "unset"})`];
    }),
} satisfies Record<string, ComposePolicy>;

export type ComposePolicyName = keyof typeof COMPOSE_POLICIES;

/** Ports the dev override adds must be reachable from this machine only. */
export function devOverrideProblems(base: ComposeConfig, withOverride: ComposeConfig): string[] {
  return Object.entries(withOverride.services).flatMap(([name, service]) => {
    const before = new Set(publishedPorts(base.services[name] ?? {}).map(describePort));
    return publishedPorts(service)
      .filter((port) => !before.has(describePort(port)) && !isLoopback(port.hostIp))
      .map((port) => `the dev override publishes ${name} on ${describePort(port)}, beyond this machine`);
  });
}
