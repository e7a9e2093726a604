import { badRequest } from "../platform/errors.js";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Lower-cased, trimmed and checked; the one form stored and compared. */
export function normalizeEmail(raw: unknown): string {
  const email = typeof raw === "string" ? raw.trim().toLowerCase() : "";
  if (!EMAIL.test(email) || email.length > 320) throw badRequest("invalid_email", "Enter a valid email address, like name@example.com.");
  return email;
}
