import { fork } from "node:child_process";
import { once } from "node:events";

/**
 * Runs `task` in a fresh process of `workerFile` and returns what it reports, so each run's
 * memory is its own. "close" comes after the process has exited and its IPC channel has
 * delivered everything.
 */
export async function runForked<Task, Report>(workerFile: string, task: Task): Promise<Report> {
  const worker = fork(workerFile, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let report: Report | undefined;
  worker.once("message", (message) => {
    report = message as Report;
  });
  worker.send(task as object);
  const [code] = (await once(worker, "close")) as [number | null];
  if (report === undefined) throw new Error(`${workerFile} exited with ${code} before reporting`);
  return report;
}
