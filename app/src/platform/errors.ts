/**
 * An error that is a value: a stable code, the HTTP status it maps to, and a message
 * written for the user. Anything else that escapes is a bug and becomes a 500.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const badRequest = (code: string, message: string) => new AppError(code, 400, message);
export const unauthorized = (message = "Sign in to continue.") => new AppError("unauthorized", 401, message);
export const forbidden = (message: string) => new AppError("forbidden", 403, message);
export const notFound = (message = "Not found.") => new AppError("not_found", 404, message);
export const conflict = (code: string, message: string) => new AppError(code, 409, message);
export const tooManyRequests = (message: string) => new AppError("too_many_requests", 429, message);
