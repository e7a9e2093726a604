/**
 * compose/Dockerfile and .dockerignore, checked statically (no Docker engine here). Each check
 * is also shown to fail on a copy of the text that breaks it.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMPOSE_FILE, REPO_ROOT } from "./compose-config.js";
import type { ComposeConfig } from "./compose-policy.js";
import { DOCKERFILE_POLICIES, dockerignoreExcludes, parseDockerfile, type DockerfileContext, type DockerfilePolicyName } from "./dockerfile-policy.js";
import { majorVersion, parseImageRef } from "./image-ref.js";

let dockerfile: string;
let dockerignore: string;
let context: DockerfileContext;

beforeAll(async () => {
  dockerfile = await readFile(path.join(REPO_ROOT, "compose/Dockerfile"), "utf8");
  dockerignore = await readFile(path.join(REPO_ROOT, ".dockerignore"), "utf8");
  const compose = parse(await readFile(COMPOSE_FILE, "utf8"), { merge: true }) as ComposeConfig;
  const postgresMajor = majorVersion(compose.services.postgres?.image ?? "");
  if (postgresMajor === undefined) throw new Error("compose's postgres image has no version");
  context = { postgresMajor, sourceExists: (repoPath) => existsSync(path.join(REPO_ROOT, repoPath)) };
});

/** `text` with `from` replaced; throws when `from` is not there, so a break never silently breaks nothing. */
function replaced(text: string, from: string | RegExp, to: string): string {
  const result = text.replace(from, to);
  if (result === text) throw new Error(`${String(from)} is not in the Dockerfile`);
  return result;
}

const ENTRYPOINT = 'ENTRYPOINT ["node", "/app/dist/app/src/main.js"]';

interface Break {
  what: string;
  breakIt?: (text: string) => string;
  context?: Partial<DockerfileContext>;
  says: RegExp;
}

const BREAKS: Record<DockerfilePolicyName, Break[]> = {
  "has separate build and runtime stages": [{ what: "runtime stage only", breakIt: (t) => t.slice(t.search(/^FROM .* AS runtime$/m)), says: /1 stage\(s\)/ }],
  "pins every base image to an exact release": [
    { what: "major-only tag", breakIt: (t) => replaced(t, /node:(\d+)[.\d]*-bookworm-slim/, "node:$1-bookworm-slim"), says: /node:20-bookworm-slim is a floating tag/ },
    { what: "latest", breakIt: (t) => replaced(t, /^FROM \S+ AS build$/m, "FROM node:latest AS build"), says: /node:latest has no version/ },
    { what: "no tag", breakIt: (t) => replaced(t, /^FROM \S+ AS build$/m, "FROM node AS build"), says: /node has no tag/ },
  ],
  "runs as a non-root numeric user": [
    { what: "no USER", breakIt: (t) => replaced(t, /^USER .*$/m, ""), says: /USER is unset \(root\)/ },
    { what: "USER root", breakIt: (t) => replaced(t, /^USER .*$/m, "USER root"), says: /USER is root, not a numeric uid/ },
    { what: "root group", breakIt: (t) => replaced(t, /^USER .*$/m, "USER 10001:0"), says: /runs as root/ },
  ],
  "installs dependencies from the lockfile, the runtime without dev dependencies": [
    { what: "npm install", breakIt: (t) => replaced(t, "RUN npm ci --no-audit", "RUN npm install --no-audit"), says: /without the lockfile/ },
    { what: "runtime keeps dev dependencies", breakIt: (t) => replaced(t, "npm ci --omit=dev", "npm ci"), says: /runtime stage does not run npm ci --omit=dev/ },
    {
      what: "node_modules copied from the build stage",
      breakIt: (t) => replaced(t, "COPY --from=build /src/dist ./dist", "COPY --from=build /src/dist ./dist\nCOPY --from=build /src/node_modules ./node_modules"),
      says: /copies node_modules from another stage/,
    },
  ],
  "bakes in no secret": [
    { what: "ENV with a secret name", breakIt: (t) => replaced(t, "ENV NODE_ENV=production", "ENV NODE_ENV=production SESSION_SECRET=abc"), says: /ENV SESSION_SECRET: a secret-like name/ },
    { what: "ARG with a credential URL", breakIt: (t) => `${t}\nARG SEED=postgres://app:hunter2@db/twinflow\n`, says: /ARG SEED: a secret-like value/ },
    { what: "ARG before the first FROM", breakIt: (t) => `ARG NPM_TOKEN\n${t}`, says: /ARG NPM_TOKEN: a secret-like name/ },
    { what: "an env file copied in", breakIt: (t) => `${t}\nCOPY compose/.env /app/.env\n`, says: /copies an env file/ },
  ],
  "checks its health in exec form": [
    { what: "no HEALTHCHECK", breakIt: (t) => replaced(t, /^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, ""), says: /no HEALTHCHECK/ },
    { what: "shell form", breakIt: (t) => replaced(t, /CMD \["node", "\/app\/dist\/app\/src\/healthcheck\.js".*\]/, "CMD node /app/dist/app/src/healthcheck.js"), says: /shell form/ },
  ],
  "starts dist/app/src/main.js in exec form": [
    { what: "shell-form ENTRYPOINT", breakIt: (t) => replaced(t, ENTRYPOINT, "ENTRYPOINT node /app/dist/app/src/main.js"), says: /not an exec-form list/ },
    { what: "another script", breakIt: (t) => replaced(t, ENTRYPOINT, 'ENTRYPOINT ["node", "/app/dist/app/src/other.js"]'), says: /does not run node dist\/app\/src\/main\.js/ },
    { what: "shell-form CMD", breakIt: (t) => replaced(t, 'CMD ["web"]', "CMD web"), says: /CMD web: shell form/ },
  ],
  "runs only compiled files whose sources exist": [
    { what: "a health check script that is not there", breakIt: (t) => replaced(t, "healthcheck.js", "probe.js"), says: /app\/src\/probe\.ts, which does not exist/ },
  ],
  "installs the Postgres client of the server's major version": [
    { what: "compose moves to Postgres 16", context: { postgresMajor: 16 }, says: /does not install postgresql-client-16/ },
    { what: "no client", breakIt: (t) => replaced(t, " postgresql-client-15", ""), says: /does not install postgresql-client-15/ },
  ],
};

describe("compose/Dockerfile", () => {
  it("builds and runs on one Node 20 release, and starts the web role by default", () => {
    const { stages } = parseDockerfile(dockerfile);
    const versions = stages.map((stage) => parseImageRef(stage.image)).map(({ name, tag }) => `${name}:${tag?.split("-")[0]}`);
    expect(new Set(versions).size).toBe(1);
    expect(versions[0]).toMatch(/^node:20\./);
    expect(stages.at(-1)?.instructions.filter((i) => i.keyword === "CMD").map((i) => i.args)).toEqual(['["web"]']);
  });

  it.each(Object.keys(DOCKERFILE_POLICIES) as DockerfilePolicyName[])("%s", (name) => {
    const policy = DOCKERFILE_POLICIES[name];
    expect(policy(parseDockerfile(dockerfile), context)).toEqual([]);
    const breaks = BREAKS[name];
    expect(breaks.length, "a broken Dockerfile this check must catch").toBeGreaterThan(0);
    for (const { what, breakIt = (t: string) => t, context: override = {}, says } of breaks) {
      expect(policy(parseDockerfile(breakIt(dockerfile)), { ...context, ...override }).join("\n"), what).toMatch(says);
    }
  });
});

describe(".dockerignore", () => {
  const ENV_FILES = [".env", "compose/.env", ".env.local", "compose/.env.production"];

  it("keeps every env file out of the build context", () => {
    for (const file of ENV_FILES) expect(dockerignoreExcludes(dockerignore, file), file).toBe(true);
  });

  it("keeps build output, dependencies and the repository history out, and the sources in", () => {
    for (const file of ["node_modules/koa/package.json", "dist/app/src/main.js", ".git/HEAD", "coverage/index.html"]) expect(dockerignoreExcludes(dockerignore, file), file).toBe(true);
    for (const file of ["app/src/main.ts", "package-lock.json", "Makefile", "compose/Dockerfile", "nginx/entrypoint.sh"]) expect(dockerignoreExcludes(dockerignore, file), file).toBe(false);
  });

  it("is caught letting an env file in", () => {
    const withoutEnvRules = dockerignore.replace(/^\*\*\/\.env.*$/gm, "");
    expect(ENV_FILES.filter((file) => !dockerignoreExcludes(withoutEnvRules, file))).toEqual(ENV_FILES);
    expect(dockerignoreExcludes(`${dockerignore}\n!compose/.env\n`, "compose/.env")).toBe(false);
  });
});
