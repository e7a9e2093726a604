import type { Logger } from "pino";
import type { Principal } from "../auth/principal.js";

/** What middleware establishes for every request, in order. */
export interface RequestState {
  requestId: string;
  log: Logger;
  /** Set by authenticate; absent for anonymous requests. */
  principal?: Principal;
  /** IANA zone pages show times in: the organization's once signed in. */
  timeZone: string;
  /** True when the credentials came in an Authorization header (not ambient cookies). */
  bearerAuthenticated: boolean;
  csrfToken: string;
  /** The file of a multipart form, on the paths that accept one. */
  upload?: UploadedFile;
}

export interface UploadedFile {
  /** A temporary file, removed when the request ends. */
  path: string;
  filename: string;
  bytes: number;
}
