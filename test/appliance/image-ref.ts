/** Image references as compose files and Dockerfiles write them: [registry/]path/name[:tag][@digest]. */
export interface ImageRef {
  /** The last path segment: postgres for docker.io/library/postgres. */
  name: string;
  tag: string | undefined;
  digest: string | undefined;
}

export function parseImageRef(reference: string): ImageRef {
  const [withoutDigest = "", digest] = reference.split("@", 2);
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  const hasTag = colon > lastSlash;
  const path = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  return { name: path.slice(path.lastIndexOf("/") + 1), tag: hasTag ? withoutDigest.slice(colon + 1) : undefined, digest };
}

/** How many version parts make an exact release: Postgres 10+ numbers them major.minor. */
const RELEASE_PARTS: Record<string, number> = { postgres: 2 };

/**
 * Why the reference does not name one exact build, or undefined when it does: a digest, or a
 * tag with the full release version (postgres:15.20-bookworm, node:20.20.2-bookworm-slim).
 * Floating tags such as latest, postgres:15 or redis:7.4-bookworm are refused.
 */
export function unpinnedReason(reference: string): string | undefined {
  const { name, tag, digest } = parseImageRef(reference);
  if (digest && /^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
  if (!tag) return `${reference} has no tag (it means latest)`;
  const parts = RELEASE_PARTS[name] ?? 3;
  const version = /^v?(\d+(?:\.\d+)*)(?:-|$)/.exec(tag)?.[1];
  if (!version) return `${reference} has no version in its tag`;
  if (version.split(".").length < parts) return `${reference} is a floating tag: name the exact release (${parts} version parts)`;
  return undefined;
}

/** The major version in an image's tag: 15 for postgres:15.20-bookworm. */
export function majorVersion(reference: string): number | undefined {
  const major = /^v?(\d+)/.exec(parseImageRef(reference).tag ?? "")?.[1];
  return major === undefined ? undefined : Number(major);
}
