import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { localDate, localDateTime } from "../platform/local-time.js";
import { assetUrl } from "./static-files.js";

const VIEWS = fileURLToPath(new URL("./views", import.meta.url));

export type Renderer = (page: string, data: Record<string, unknown>) => string;

/** Compiles every page, partial and the layout once at start-up; a missing page is a bug. */
export function createRenderer(): Renderer {
  const handlebars = Handlebars.create();
  handlebars.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  // Dates and times in the zone the page was rendered for (renderPage sets the organization's).
  const zoneOf = (options: Handlebars.HelperOptions): string => (options.data as { root?: { timeZone?: string } }).root?.timeZone ?? "UTC";
  handlebars.registerHelper("date", (value: unknown, options: Handlebars.HelperOptions) => (value instanceof Date ? localDate(value, zoneOf(options)) : ""));
  handlebars.registerHelper("datetime", (value: unknown, options: Handlebars.HelperOptions) => (value instanceof Date ? localDateTime(value, zoneOf(options)) : ""));
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
    // preventIndent: an indented partial would otherwise indent every line of the text it shows, even inside <pre>.
    pages.set(path.basename(file, ".hbs"), handlebars.compile(readFileSync(path.join(VIEWS, "pages", file), "utf8"), { preventIndent: true }));
  }
  return (page, data) => {
    const template = pages.get(page);
    if (!template) throw new Error(`no page template named ${page}`);
    return layout({ ...data, body: new Handlebars.SafeString(template(data)) });
  };
}
