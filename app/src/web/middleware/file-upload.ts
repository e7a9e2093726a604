import { createWriteStream } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import type { Middleware } from "koa";
import { AppError, badRequest } from "../../platform/errors.js";
import type { RequestState, UploadedFile } from "../state.js";

/**
 * Reads a multipart form on the given paths: its fields become the request body (so the
 * CSRF check that follows sees them as it sees any form) and its one file is spooled to a
 * temporary file rather than held in memory. Anything above the limit is refused.
 */
export function fileUpload(paths: readonly string[], maxBytes: number): Middleware<RequestState> {
  return async (ctx, next) => {
    // Only a signed-in person's upload is read: nobody else gets to fill the disk.
    if (ctx.method !== "POST" || !paths.includes(ctx.path) || !ctx.is("multipart/form-data") || !ctx.state.principal) return next();
    const directory = await mkdtemp(path.join(tmpdir(), "twinflow-upload-"));
    try {
      const { fields, file } = await readMultipart(ctx.req, ctx.headers, directory, maxBytes);
      ctx.request.body = fields;
      if (file) ctx.state.upload = file;
      await next();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  };
}

function readMultipart(
  request: NodeJS.ReadableStream,
  headers: IncomingHttpHeaders,
  directory: string,
  maxBytes: number,
): Promise<{ fields: Record<string, string>; file: UploadedFile | null }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: UploadedFile | null = null;
    let saving: Promise<void> = Promise.resolve();
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers, limits: { files: 1, fields: 20, fieldSize: 10_000, fileSize: maxBytes } });
    } catch {
      reject(badRequest("bad_upload", "The upload could not be read. Choose the file again and resubmit the form."));
      return;
    }
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("file", (_name, stream, info) => {
      const target = path.join(directory, "upload");
      const uploaded: UploadedFile = { path: target, filename: info.filename ?? "", bytes: 0 };
      stream.on("data", (chunk: Buffer) => {
        uploaded.bytes += chunk.length;
      });
      stream.on("limit", () => reject(new AppError("upload_too_large", 413, `The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB. Compress it (.xes.gz) or import a shorter period.`)));
      file = uploaded;
      saving = pipeline(stream, createWriteStream(target));
    });
    parser.on("error", () => reject(badRequest("bad_upload", "The upload was cut short or malformed. Choose the file again and resubmit the form.")));
    parser.on("close", () => {
      saving.then(() => resolve({ fields, file }), reject);
    });
    request.pipe(parser);
  });
}
