import Router from "@koa/router";
import { DAY_MS } from "../../analysis/event-log.js";
import type { FlowForecast } from "../../analysis/flow-forecast.js";
import { forecastHowMany, forecastWhen, WEEK_MS, type HowManyForecast, type InsufficientData, type WhenForecast } from "../../analysis/forecast.js";
import type { ScanOutput } from "../../analysis/scan-output.js";
import { badRequest } from "../../platform/errors.js";
import { analyticsHeader, loadAnalyticsView } from "../analytics-view.js";
import { columnBars } from "../charts/bars.js";
import { forecastChartSvg } from "../charts/forecast-chart.js";
import type { WebDeps } from "../deps.js";
import { renderPage, requirePrincipal, uuidParam } from "../page.js";
import type { RequestState } from "../state.js";

type Query = Record<string, string | string[] | undefined>;

/**
 * The forecast page: when a number of items will be done and how many will be done by a date,
 * from Monte Carlo trials over the last weeks' throughput. The stored output answers for the
 * open items and its own horizon; other questions are simulated here, with the analysis'
 * fixed seed, so the same question always gets the same answer.
 */
export function forecastRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get("/connections/:id/forecast", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const id = uuidParam(ctx, "id", "connection");
    const days = askableDays(Date.now());
    const question = questionOf(ctx.query, days);
    const analytics = await loadAnalyticsView(deps, { tenantId: principal.tenantId, timeZone: ctx.state.timeZone }, id, ctx.query, PAGE_PARAMS);
    const params = pageParamsOf(question);
    const header = analyticsHeader(analytics, "forecast", params);
    // Each question's form keeps the filters and the other question.
    const keeping = (name: string) => [...header.filterParams, ...(params[name] === undefined ? [] : [{ name, value: params[name] }])];
    renderPage(ctx, deps.render, "forecast", {
      title: `Forecast — ${analytics.label}`,
      analytics: header,
      container: analytics.container,
      when: { ...whenSection(analytics.output, question.items), hidden: keeping("by") },
      howMany: { ...howManySection(analytics.output, question.by), hidden: keeping("items"), min: isoDay(days.first), max: isoDay(days.last) },
      samples: samplesSection(analytics.output),
    });
  });
  return router;
}

const PAGE_PARAMS = ["items", "by"];
const MAX_ITEMS = 100_000;
const MAX_DAYS_AHEAD = 365;
const LIKELIHOODS = [50, 85, 95] as const;

/** What the address asks, beyond the filters; null where it asks nothing and the stored answer stands. */
interface Question {
  items: number | null;
  /** The date asked for (YYYY-MM-DD) and the end of that day, UTC. */
  by: { day: string; end: number } | null;
}

/** The first and last day (UTC midnight) a "how many by" date may be: tomorrow to a year ahead. */
function askableDays(now: number): { first: number; last: number } {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  return { first: today + DAY_MS, last: today + MAX_DAYS_AHEAD * DAY_MS };
}

/** `items` (1 to 100,000) and `by` (one of the askable days); an empty field asks nothing. */
function questionOf(query: Query, days: { first: number; last: number }): Question {
  const items = singleParam(query, "items");
  const by = singleParam(query, "by");
  const question: Question = { items: null, by: null };
  if (items !== null) {
    question.items = /^\d{1,6}$/.test(items) ? Number(items) : Number.NaN;
    if (!(question.items >= 1 && question.items <= MAX_ITEMS)) {
      throw badRequest("invalid_forecast", `"items" must be a whole number from 1 to ${MAX_ITEMS.toLocaleString("en-US")}: how many items the forecast should see done.`);
    }
  }
  if (by !== null) {
    const start = Date.parse(`${by}T00:00:00Z`);
    // Date.parse rolls 2027-02-30 over to March: the day must read back as written.
    if (!/^\d{4}-\d{2}-\d{2}$/.test(by) || Number.isNaN(start) || isoDay(start) !== by || start < days.first || start > days.last) {
      throw badRequest("invalid_forecast", `"by" must be a date from ${isoDay(days.first)} to ${isoDay(days.last)} (YYYY-MM-DD): a day after today, at most a year ahead.`);
    }
    question.by = { day: by, end: start + DAY_MS };
  }
  return question;
}

function singleParam(query: Query, name: string): string | null {
  const value = query[name];
  if (Array.isArray(value)) throw badRequest("invalid_forecast", `Give "${name}" once.`);
  return value === undefined || value.trim() === "" ? null : value.trim();
}

/** The questions the address asks, as the forms send them. */
function pageParamsOf(question: Question): Record<string, string> {
  const params: Record<string, string> = {};
  if (question.items !== null) params.items = String(question.items);
  if (question.by !== null) params.by = question.by.day;
  return params;
}

interface Statement {
  likelihood: string;
  text: string;
}

/** "When will N items be done?": N is what the address asks, or the items open now. */
function whenSection({ forecast, asOf, sample }: ScanOutput, asked: number | null) {
  const stored = asked === null ? forecast.whenOpenDone : null;
  const items = asked ?? stored?.items ?? null;
  const base = { items, asked: asked !== null, open: sample.open, from: displayDay(asOf) };
  if (items === null) return { ...base, empty: "Nothing is open in this scope, so nothing is waiting to be done. Enter a number of items to see when that many would be done." };
  const result = stored?.result ?? forecastWhen(forecast.weeklySamples, items);
  if (result.insufficientData) return { ...base, empty: insufficientWords(result) };
  if (finishedNothing(forecast)) return { ...base, empty: noPaceWords(forecast) };
  const doneBy = (weeks: number) => displayDay(asOf + weeks * WEEK_MS);
  const statements: Statement[] = LIKELIHOODS.map((p) => {
    const weeks = result.weeks[`p${p}`];
    return weeks === null
      ? { likelihood: `${p} %`, text: `not reached: fewer than ${p} % of trials finish within the simulated horizon` }
      : { likelihood: `${p} % likely`, text: `by ${doneBy(weeks)} (within ${plural(weeks, "week")})` };
  });
  const markers = LIKELIHOODS.flatMap((p) => {
    const weeks = result.weeks[`p${p}`];
    return weeks === null ? [] : [{ likelihood: p, value: weeks, label: `${p} %: by ${doneBy(weeks)}` }];
  });
  const chart = forecastChartSvg({
    id: "forecast-when",
    title: `When ${plural(items, "item")} will be done`,
    description: `${trialsWords(result)}, each drawing weeks from the last ${forecast.weeklySamples.length} weeks' throughput. ${sentences(statements)}`,
    outcomes: result.distribution.map(({ weeks, trials }) => ({ value: weeks, trials })),
    markers,
    axisTitle: `Done by (weeks from ${displayDay(asOf)})`,
    tick: doneBy,
  });
  return { ...base, statements, chart, trials: trialsWords(result), unreachable: unreachableWords(result) };
}

/** "How many items will be done by a date?": the date the address asks, or the stored horizon. */
function howManySection({ forecast, asOf }: ScanOutput, by: Question["by"]) {
  // Trials run whole weeks: a date asks for the whole weeks that end by it, and never for less than one.
  const weeks = by === null ? forecast.nextWeeks.weeks : Math.max(1, Math.floor((by.end - asOf) / WEEK_MS));
  const until = asOf + weeks * WEEK_MS;
  const result = by === null ? forecast.nextWeeks.result : forecastHowMany(forecast.weeklySamples, weeks);
  const base = { by: by?.day ?? isoDay(until), asked: by !== null, weeks: plural(weeks, "week"), from: displayDay(asOf), until: displayDay(until) };
  if (result.insufficientData) return { ...base, empty: insufficientWords(result) };
  if (finishedNothing(forecast)) return { ...base, empty: noPaceWords(forecast) };
  const statements: Statement[] = LIKELIHOODS.map((p) => ({ likelihood: `${p} % likely`, text: `to finish at least ${plural(result.items[`p${p}`], "item")} by ${displayDay(until)}` }));
  const chart = forecastChartSvg({
    id: "forecast-how-many",
    title: `Items done by ${displayDay(until)}`,
    description: `${trialsWords(result)}, each drawing ${plural(weeks, "week")} from the last ${forecast.weeklySamples.length} weeks' throughput. ${sentences(statements)}`,
    outcomes: result.distribution.map(({ items, trials }) => ({ value: items, trials })),
    markers: LIKELIHOODS.map((p) => ({ likelihood: p, value: result.items[`p${p}`], label: `${p} %: at least ${result.items[`p${p}`].toLocaleString("en-US")}` })),
    axisTitle: `Items done from ${displayDay(asOf)} to ${displayDay(until)}`,
    tick: (items) => items.toLocaleString("en-US"),
  });
  return { ...base, statements, chart, trials: trialsWords(result) };
}

/** What the trials sample: the finished items of each of the last weeks, and whether they are enough to go on. */
function samplesSection({ forecast, asOf, window, sample }: ScanOutput) {
  const samples = forecast.weeklySamples;
  const from = asOf - samples.length * WEEK_MS;
  const finished = samples.reduce((sum, count) => sum + count, 0);
  const bars = columnBars(samples);
  const weeks = samples.map((count, week) => ({ start: displayDay(from + week * WEEK_MS), count, bar: bars[week] }));
  const warnings: string[] = [];
  if (samples.length === 0) warnings.push("The data covers less than a week: there is no finished week to sample yet.");
  else if (finished < sample.thinBelow) warnings.push(`Only ${plural(finished, "item")} finished in these weeks: too few for a forecast to mean much. Treat it as a rough guess.`);
  // Weeks (even partly) before the window count as weeks that finished nothing, which pulls every forecast down.
  const before = window.from > from ? Math.min(samples.length, Math.ceil((window.from - from) / WEEK_MS)) : 0;
  if (before > 0) warnings.push(`The window starts on ${displayDay(window.from)}: the first ${plural(before, "week")} sampled lie before it and count as weeks with nothing finished, so the forecast is pessimistic.`);
  return { weeks, finished, count: samples.length, from: displayDay(from), until: displayDay(asOf), warnings };
}

function insufficientWords(result: InsufficientData): string {
  return `Not enough data for a forecast: ${result.reason}.`;
}

/** Weeks that all finished nothing: every trial would finish nothing, which a chart would only dress up. */
const finishedNothing = ({ weeklySamples }: FlowForecast): boolean => weeklySamples.every((count) => count === 0);

function noPaceWords({ weeklySamples }: FlowForecast): string {
  return `No item was finished in the last ${plural(weeklySamples.length, "week")}, so there is no pace to forecast from. Forecasts appear once items are finished again.`;
}

function trialsWords(result: WhenForecast | HowManyForecast): string {
  return `${result.trials.toLocaleString("en-US")} simulated futures`;
}

function unreachableWords(result: WhenForecast): string | null {
  if (result.unreachable === 0) return null;
  return `${result.unreachable.toLocaleString("en-US")} of ${result.trials.toLocaleString("en-US")} trials did not finish within the simulated horizon: at the pace sampled, this many items may take longer than the chart shows.`;
}

const sentences = (statements: Statement[]): string => statements.map(({ likelihood, text }) => `${likelihood} ${text}.`).join(" ");

const plural = (count: number, unit: string): string => `${count.toLocaleString("en-US")} ${unit}${count === 1 ? "" : "s"}`;

const isoDay = (at: number): string => new Date(at).toISOString().slice(0, 10);

/** "14 Mar 2027", in UTC until pages know the tenant's time zone. */
const displayDay = (at: number): string => new Date(at).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
