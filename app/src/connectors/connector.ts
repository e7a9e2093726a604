import type { Logger } from "pino";
import type { AllowedRequest } from "./http/allowlist.js";
import type { ConnectorHttp } from "./http/client.js";
import type { EventLogBatch } from "./types.js";

export type Provider = "demo" | "jira" | "github" | "linear" | "gmail" | "salesforce" | "zendesk";

/** JSON that survives a round trip through a jsonb column. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * What a connector reads and keeps, generated from the same data the code runs on
 * (the allowlist and the mapper's field lists), so the UI can show it truthfully.
 */
export interface DataManifest {
  provider: Provider;
  requests: readonly AllowedRequest[];
  /** The tool's public API hosts, reached over https: a name, or `*.domain` for its subdomains (connectors/http/hosts.ts). */
  hosts: readonly string[];
  /** Provider field name → why it is kept. Everything else is dropped in the mapper. */
  fieldsKept: Readonly<Record<string, string>>;
  /** Fields the provider sends that are deliberately dropped (content). */
  fieldsDropped: readonly string[];
}

/** One page of a stream: what to ingest, and the cursor to store in the same transaction. */
export interface ScanPage {
  batch: EventLogBatch;
  cursor: JsonValue;
}

export interface ScanContext {
  /** The connection's settings (which projects, repositories, …), as validated by the connector. */
  settings: JsonValue;
  /** Decrypted credentials; never logged. */
  credentials: Readonly<Record<string, string>>;
  /**
   * Stores rotated credentials (e.g. a new refresh token) encrypted, at once and atomically.
   * Connectors call it before using the new token.
   */
  saveCredentials(credentials: Record<string, string>): Promise<void>;
  /** The connector's HTTP client: base URL, allowlist and counters already set. */
  http: ConnectorHttp;
  /** First scan of a stream starts here (now − backfill window). */
  backfillFrom: Date;
  now: Date;
  log: Logger;
  signal: AbortSignal;
}

export interface Connector {
  readonly provider: Provider;
  readonly manifest: DataManifest;
  /** Validates user-entered settings; throws AppError (400) with what to fix. */
  parseSettings(raw: unknown): JsonValue;
  /** Base URL of the API for these settings and credentials. */
  baseUrl(settings: JsonValue, credentials: Readonly<Record<string, string>>): string;
  /** Authorization headers for a request. */
  authHeaders(credentials: Readonly<Record<string, string>>): Record<string, string>;
  /**
   * Checks credentials with one read request before they are stored; returns what the
   * person connecting should see (account name, granted scopes).
   */
  verifyCredentials?(http: ConnectorHttp, settings: JsonValue): Promise<string>;
  /** Independent incremental streams (e.g. "issues", "events"), each with its own cursor. */
  streams(settings: JsonValue): string[];
  /**
   * Reads a stream from `cursor` (null on the first scan), yielding pages in order. Each
   * page's cursor must let a restarted scan continue after that page; re-reading a small
   * overlap is fine (ingest is idempotent).
   */
  scan(stream: string, cursor: JsonValue | null, context: ScanContext): AsyncIterable<ScanPage>;
  /**
   * The provider's own grouping of its statuses, by status name, read once per scan after
   * the streams (Jira's status categories; a fixed list where the provider's statuses are fixed).
   */
  statusCategories?(context: ScanContext): Promise<Record<string, StatusCategory>>;
}

/** How a provider groups a status: waiting to start, being worked on, or finished. */
export type StatusCategory = "todo" | "in_progress" | "done";
