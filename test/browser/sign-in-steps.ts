import type { Tour } from "./tour.js";

export const PASSWORD = "correct horse battery";

/** Creates an organization through the sign-up form (checking that page); lands on its overview. */
export async function signUpWithTheForm(tour: Tour, owner: { organization: string; email: string }): Promise<void> {
  const { page } = tour;
  await tour.visit("/sign-up", "sign-up");
  await page.getByLabel("Organization name").fill(owner.organization);
  await page.getByLabel("Your name").fill("Owner");
  await page.getByLabel("Email").fill(owner.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create organization" }).click();
  await page.waitForURL("**/overview");
}

/** Fills in and sends the sign-in form the page shows. */
export async function signInWithTheForm(tour: Tour, email: string, password = PASSWORD): Promise<void> {
  await tour.page.getByLabel("Email").fill(email);
  await tour.page.getByLabel("Password").fill(password);
  await tour.page.getByRole("button", { name: "Sign in" }).click();
}

/** Signs out with the button in the top bar; lands on the sign-in page. */
export async function signOut(tour: Tour): Promise<void> {
  await tour.page.getByRole("button", { name: "Sign out" }).click();
  await tour.page.waitForURL("**/sign-in");
}
