/**
 * The off-site copy's only way to B2's S3-compatible API. Only operations that add new
 * objects or read them are allowed; anything else (delete, retention, legal hold, bucket
 * settings) is refused before a byte is sent, whatever the caller asks. The key's
 * capabilities (preflight.ts) and the bucket's Object Lock are the guards behind this one.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { OffsiteConfig } from "../../../app/src/config.js";

const ALLOWED_COMMANDS = [
  PutObjectCommand,
  HeadObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
] as const;

export const ALLOWED_OPERATIONS: readonly string[] = ALLOWED_COMMANDS.map(operationOfCommandName);

export type AllowedCommand = InstanceType<(typeof ALLOWED_COMMANDS)[number]>;

/** What `send` resolves to for a command, as the SDK's own `send` infers it. */
export type OutputOf<C extends AllowedCommand> = Awaited<ReturnType<ReturnType<C["resolveMiddleware"]>>>["output"];

export class OperationNotAllowed extends Error {
  override name = "OperationNotAllowed";
  constructor(readonly operation: string) {
    super(`${operation} is not on the off-site allowlist (new objects and reads only); the request was not sent`);
  }
}

/** The narrow client the off-site code gets: allowlisted commands only. */
export interface OffsiteS3 {
  send<C extends AllowedCommand>(command: C, options?: { abortSignal?: AbortSignal }): Promise<OutputOf<C>>;
  destroy(): void;
}

export interface OffsiteS3Options {
  /** Bucket in the path rather than the host name; local S3 fakes need it. */
  forcePathStyle?: boolean;
}

export function createOffsiteS3(config: OffsiteConfig, options: OffsiteS3Options = {}): OffsiteS3 {
  const client = createGuardedS3Client(config, options);
  return {
    async send<C extends AllowedCommand>(command: C, sendOptions?: { abortSignal?: AbortSignal }): Promise<OutputOf<C>> {
      // The exact class: a subclass could change how the command is built.
      const commandClass = (command as object).constructor;
      if (!ALLOWED_COMMANDS.some((allowed) => allowed === commandClass)) throw new OperationNotAllowed(operationOfCommandName(commandClass));
      // Each member of the union is one of the SDK's own commands; its overloads just cannot take a union.
      return client.send(command as Parameters<S3Client["send"]>[0], sendOptions) as Promise<OutputOf<C>>;
    },
    destroy: () => client.destroy(),
  };
}

/**
 * The SDK client itself, with the operation allowlist as the first middleware of its stack,
 * so even a command sent to it directly is refused before it is signed or serialized.
 */
export function createGuardedS3Client(config: OffsiteConfig, options: OffsiteS3Options = {}): S3Client {
  const client = new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    credentials: { accessKeyId: config.keyId, secretAccessKey: config.applicationKey },
    forcePathStyle: options.forcePathStyle ?? false,
    // B2 rejects the SDK's default CRC32 checksum headers; integrity comes from Content-MD5.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // A stalled connection fails the run instead of holding up the nightly backup.
    requestHandler: { connectionTimeout: 30_000, socketTimeout: 120_000 },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      for (const operation of operationNamesOf(context)) {
        if (!ALLOWED_OPERATIONS.includes(operation)) throw new OperationNotAllowed(operation);
      }
      return next(args);
    },
    { step: "initialize", priority: "high", name: "offsiteOperationAllowlist" },
  );
  return client;
}

/**
 * Every name the SDK knows the operation by must be allowed: the command's name and the
 * operation its serializer uses. A command that carries neither is refused.
 */
function operationNamesOf(context: { commandName?: string; [key: string]: unknown }): string[] {
  // Where the SDK's command builder puts the operation (@smithy/types SMITHY_CONTEXT_KEY).
  const smithyContext = context["__smithy_context"] as { operation?: unknown } | undefined;
  const names = [context.commandName?.replace(/Command$/, ""), smithyContext?.operation];
  const known = names.filter((name): name is string => typeof name === "string" && name !== "");
  return known.length === 0 ? ["an unnamed operation"] : known;
}

function operationOfCommandName(commandClass: { name: string }): string {
  return commandClass.name.replace(/Command$/, "") || "an unnamed command";
}
