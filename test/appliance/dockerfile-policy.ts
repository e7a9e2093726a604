/**
 * What compose/Dockerfile must promise, checked on its text (images are never built here).
 * Each check returns the problems it finds (none: it holds).
 */
import { unpinnedReason } from "./image-ref.js";

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM. */
  preamble: Instruction[];
  stages: Stage[];
}

/** Stages in order, each with its instructions; continuation lines joined, comments dropped. */
export function parseDockerfile(text: string): Dockerfile {
  const preamble: Instruction[] = [];
  const stages: Stage[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    pending += line.endsWith("\\") ? `${line.slice(0, -1)} ` : line;
    if (line.endsWith("\\")) continue;
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(pending) ?? [];
    pending = "";
    const instruction = { keyword: keyword.toUpperCase(), args: args.trim() };
    if (instruction.keyword === "FROM") {
      const [, image = "", name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(instruction.args) ?? [];
      stages.push({ image, name, instructions: [] });
    } else {
      (stages.at(-1)?.instructions ?? preamble).push(instruction);
    }
  }
  return { preamble, stages };
}

/** The JSON array of an exec-form instruction, or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((part) => typeof part === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** NAME=value pairs of an ENV or ARG instruction (the legacy `ENV NAME value` form too). */
function assignments(args: string): [string, string][] {
  const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+([^=].*)$/.exec(args);
  if (legacy) return [[legacy[1]!, legacy[2]!]];
  return [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("[^"]*"|'[^']*'|\S*))?/g)].map(([, name, value]) => [name!, (value ?? "").replace(/^["']|["']$/g, "")]);
}

function instructionsOf(stage: Stage | undefined, keyword: string): Instruction[] {
  return (stage?.instructions ?? []).filter((instruction) => instruction.keyword === keyword);
}

function runsOf(stage: Stage | undefined): string[] {
  return instructionsOf(stage, "RUN").map((instruction) => instruction.args);
}

const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE|API_?KEY|VAULT|AUTH|DATABASE_URL|REDIS_URL/i;
/** A URL with a password, or a long random-looking string. */
const SECRET_VALUE = /:\/\/[^/\s:@]*:[^/\s@]+@|[A-Za-z0-9+/_-]{32,}={0,2}/;

export interface DockerfileContext {
  /** The major version of the Postgres server compose runs. */
  postgresMajor: number;
  /** Whether a repository file exists, e.g. app/src/healthcheck.ts. */
  sourceExists: (repoPath: string) => boolean;
}

export type DockerfilePolicy = (dockerfile: Dockerfile, context: DockerfileContext) => string[];

export const DOCKERFILE_POLICIES = {
  "has separate build and runtime stages": ({ stages }) => (stages.length >= 2 ? [] : [`${stages.length} stage(s): build tools and dev dependencies would ship in the image`]),

  "pins every base image to an exact release": ({ stages }) => {
    const stageNames = new Set<string>();
    return stages.flatMap((stage) => {
      const problems = stageNames.has(stage.image) ? [] : [unpinnedReason(stage.image)].filter((reason): reason is string => !!reason);
      if (stage.name) stageNames.add(stage.name);
      return problems;
    });
  },

  "runs as a non-root numeric user": ({ stages }) => {
    const user = instructionsOf(stages.at(-1), "USER").at(-1)?.args;
    const match = /^(\d+)(?::(\d+))?$/.exec(user ?? "");
    if (!match) return [`the final stage's USER is ${user ?? "unset (root)"}, not a numeric uid`];
    return match[1] === "0" || match[2] === "0" ? [`the final stage runs as root (USER ${user})`] : [];
  },

  "installs dependencies from the lockfile, the runtime without dev dependencies": ({ stages }) => {
    const problems: string[] = [];
    const runs = stages.flatMap(runsOf);
    if (runs.some((run) => /\bnpm\s+(install|i|add)\b|\byarn\b|\bpnpm\b/.test(run))) problems.push("dependencies are installed without the lockfile (use npm ci)");
    if (!runs.some((run) => /\bnpm\s+ci\b/.test(run))) problems.push("no stage runs npm ci");
    const runtime = stages.at(-1);
    if (!runsOf(runtime).some((run) => /\bnpm\s+ci\b[^&;|]*--omit=dev/.test(run))) problems.push("the runtime stage does not run npm ci --omit=dev");
    if (instructionsOf(runtime, "COPY").some((copy) => /--from=/.test(copy.args) && /node_modules/.test(copy.args))) {
      problems.push("the runtime stage copies node_modules from another stage (dev dependencies included)");
    }
    return problems;
  },

  "bakes in no secret": ({ preamble, stages }) =>
    [{ instructions: preamble }, ...stages].flatMap((stage) => [
      ...stage.instructions
        .filter((instruction) => instruction.keyword === "ENV" || instruction.keyword === "ARG")
        .flatMap((instruction) =>
          assignments(instruction.args).flatMap(([name, value]) => [
            ...(SECRET_NAME.test(name) ? [`${instruction.keyword} ${name}: a secret-like name baked into the image`] : []),
            ...(SECRET_VALUE.test(value) ? [`${instruction.keyword} ${name}: a secret-like value baked into the image`] : []),
          ]),
        ),
      ...stage.instructions
        .filter((instruction) => (instruction.keyword === "COPY" || instruction.keyword === "ADD") && /(^|[\s/])\.env\b/.test(instruction.args))
        .map((instruction) => `${instruction.keyword} ${instruction.args}: copies an env file`),
    ]),

  "checks its health in exec form": ({ stages }) => {
    const healthcheck = instructionsOf(stages.at(-1), "HEALTHCHECK").at(-1);
    if (!healthcheck) return ["the final stage has no HEALTHCHECK"];
    const command = /^(?:--\S+\s+)*CMD\s+(.*)$/i.exec(healthcheck.args)?.[1];
    if (command === undefined) return [`HEALTHCHECK ${healthcheck.args}: no CMD`];
    return execForm(command) ? [] : [`HEALTHCHECK CMD ${command}: shell form (needs a shell, and a shell is one more thing to break)`];
  },

  "starts dist/app/src/main.js in exec form": ({ stages }) => {
    const runtime = stages.at(-1);
    const entrypoint = instructionsOf(runtime, "ENTRYPOINT").at(-1)?.args;
    const command = instructionsOf(runtime, "CMD").at(-1)?.args;
    const problems: string[] = [];
    const words = entrypoint === undefined ? undefined : execForm(entrypoint);
    if (!words) problems.push(`ENTRYPOINT ${entrypoint ?? "unset"}: not an exec-form list`);
    else if (words[0] !== "node" || !words.some((word) => /(^|\/)dist\/app\/src\/main\.js$/.test(word))) problems.push(`ENTRYPOINT ${entrypoint}: does not run node dist/app/src/main.js`);
    if (command !== undefined && !execForm(command)) problems.push(`CMD ${command}: shell form`);
    return problems;
  },

  "runs only compiled files whose sources exist": ({ stages }, context) => {
    const runtime = stages.at(-1);
    const commands = [...instructionsOf(runtime, "ENTRYPOINT"), ...instructionsOf(runtime, "HEALTHCHECK")].map((instruction) => instruction.args).join(" ");
    return [...commands.matchAll(/dist\/(app\/src\/[\w/.-]+)\.js/g)]
      .map(([, compiled]) => `${compiled}.ts`)
      .filter((source) => !context.sourceExists(source))
      .map((source) => `runs the compiled ${source}, which does not exist`);
  },

  "installs the Postgres client of the server's major version": ({ stages }, context) => {
    const wanted = `postgresql-client-${context.postgresMajor}`;
    const installs = runsOf(stages.at(-1)).join(" ");
    return new RegExp(`\\b${wanted}\\b`).test(installs) ? [] : [`the runtime stage does not install ${wanted} (compose runs Postgres ${context.postgresMajor})`];
  },
} satisfies Record<string, DockerfilePolicy>;

export type DockerfilePolicyName = keyof typeof DOCKERFILE_POLICIES;

/** Docker's .dockerignore matching: globs with ** over slash-separated paths, `!` re-includes, the last match wins, a matched directory excludes what is in it. */
export function dockerignoreExcludes(dockerignore: string, repoPath: string): boolean {
  const patterns = dockerignore
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const parts = repoPath.split("/");
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join("/"));
  let excluded = false;
  for (const pattern of patterns) {
    const include = pattern.startsWith("!");
    const regex = globToRegExp(pattern.replace(/^!/, "").replace(/^\/+/, "").replace(/\/+$/, ""));
    if (candidates.some((candidate) => regex.test(candidate))) excluded = !include;
  }
  return excluded;
}

function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i]!;
    if (glob.startsWith("**/", i)) {
      source += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      source += ".*";
      i += 1;
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
