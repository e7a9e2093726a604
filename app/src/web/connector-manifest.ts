import type { DataManifest } from "../connectors/connector.js";

/** A connector's data manifest as pages show it, so every page tells the same story. */
export interface ManifestView {
  /** The allowlist: each request's method, its path pattern as written, and why it is made. */
  requests: { method: string; path: string; purpose: string }[];
  fieldsKept: { name: string; why: string }[];
  fieldsDropped: readonly string[];
}

export function manifestView(manifest: DataManifest): ManifestView {
  return {
    requests: manifest.requests.map((request) => ({ method: request.method, path: request.path.source, purpose: request.purpose })),
    fieldsKept: Object.entries(manifest.fieldsKept).map(([name, why]) => ({ name, why })),
    fieldsDropped: manifest.fieldsDropped,
  };
}
