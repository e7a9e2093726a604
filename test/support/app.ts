import { createTestDatabase, type TestDatabase } from "./database.js";
import { startTestWeb, type TestWeb } from "./web.js";
import { startTestWorkers, type TestWorkers } from "./workers.js";

/** What a user has running: a database of this test file's own, the web app, and scan workers. */
export interface TestApp {
  db: TestDatabase;
  web: TestWeb;
  workers: TestWorkers;
  close(): Promise<void>;
}

export async function startTestApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const web = await startTestWeb(db, overrides);
  const workers = startTestWorkers(web, db);
  return {
    db,
    web,
    workers,
    async close() {
      await workers.close();
      await web.close();
      await db.drop();
    },
  };
}
