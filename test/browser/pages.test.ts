import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBrowserHarness, type BrowserHarness } from "./harness.js";
import { signInWithTheForm, signOut, signUpWithTheForm } from "./sign-in-steps.js";

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness();
});

afterAll(async () => {
  await harness?.close();
});

// The journey (journey.test.ts) checks the pages on its way; these are the rest.
describe("every page, in a real browser", () => {
  it("shows the pages off the journey without console errors, CSP violations or serious accessibility problems", { timeout: 30_000 }, async () => {
    const tour = await harness.tour("other-pages");
    const { page } = tour;
    await signUpWithTheForm(tour, { organization: "Pages Co", email: "pages-owner@example.com" });
    await tour.visit("/members", "members");
    await page.getByLabel("Email").fill("invited@example.com");
    await page.getByRole("button", { name: "Create invitation link" }).click();
    const invitationLink = await page.locator("code.copy").textContent();
    await tour.check("members-invited");
    await tour.visit("/security", "security");
    await tour.visit("/connections/import", "import");
    await tour.visit(new URL(invitationLink!).pathname, "invitation");
    await tour.visit("/no-such-page", "not-found", 404);

    await signOut(tour);
    await signInWithTheForm(tour, "pages-owner@example.com", "not the password");
    await page.getByRole("alert").waitFor();
    await tour.check("sign-in-refused");
  });

  it("refuses a script injected into a page (CSP), and the page check reports it", async () => {
    const tour = await harness.tour("csp");
    await tour.visit("/sign-in", "sign-in");
    const ran = await tour.page.evaluate(`(() => {
      const script = document.createElement("script");
      script.textContent = "window.injectedScriptRan = true";
      document.body.append(script);
      return window.injectedScriptRan === true;
    })()`);
    expect(ran).toBe(false);
    await expect(tour.check("sign-in-with-injected-script")).rejects.toThrow(/Content Security Policy/);
  });
});
