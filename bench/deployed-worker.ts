import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const COMPOSE_FILE = fileURLToPath(new URL("../compose/docker-compose.yml", import.meta.url));

/** The worker service's NODE_OPTIONS in the appliance's compose file: the heap the worker runs with. */
export async function deployedWorkerNodeOptions(): Promise<string[]> {
  const compose = parse(await readFile(COMPOSE_FILE, "utf8"), { merge: true }) as { services: { worker: { environment?: { NODE_OPTIONS?: string } } } };
  return (compose.services.worker.environment?.NODE_OPTIONS ?? "").split(/\s+/).filter(Boolean);
}
