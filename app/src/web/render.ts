import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { assetUrl } from "./static-files.js";

const VIEWS = fileURLToPath(new URL("./views", import.meta.url));

export type Renderer = (page: string, data: Record<string, unknown>) => string;

/** Compiles every page, partial and the layout once at start-up; a missing page is a bug. */
export function createRenderer(): Renderer {
  const handlebars = Handlebars.create();
  handlebars.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  handlebars.registerHelper("date", (value: unknown) => (value instanceof Date ? value.toISOString().slice(0, 10) : ""));
  handlebars.registerHelper("datetime", (value: unknown) => (value instanceof Date ? `${value.toISOString().slice(0, 16).replace("T", " ")} UTC` : ""));
  handlebars.registerHelper("iso", (value: unknown) => (value instanceof Date ? value.toISOString() : ""));
  handlebars.registerHelper("number", (value: unknown) => (typeof value === "number" ? value.toLocaleString("en-US") : String(value ?? "")));
  // {{asset "app.css"}}: the fingerprinted URL browsers may cache for good; a misspelt name fails the page rather than shipping a broken link.
  handlebars.registerHelper("asset", (name: unknown) => assetUrl(String(name)));
  for (const file of readdirSync(path.join(VIEWS, "partials"))) {
    handlebars.registerPartial(path.basename(file, ".hbs"), readFileSync(path.join(VIEWS, "partials", file), "utf8"));
  }
  const layout = handlebars.compile(readFileSync(path.join(VIEWS, "layouts", "main.hbs"), "utf8"), { strict: false });
  const pages = new Map<string, HandlebarsTemplateDelegate>();
  for (const file of readdirSync(path.join(VIEWS, "pages"))) {
    pages.set(path.basename(file, ".hbs"), handlebars.compile(readFileSync(path.join(VIEWS, "pages", file), "utf8")));
  }
  return (page, data) => {
    const template = pages.get(page);
    if (!template) throw new Error(`no page template named ${page}`);
    return layout({ ...data, body: new Handlebars.SafeString(template(data)) });
  };
}
