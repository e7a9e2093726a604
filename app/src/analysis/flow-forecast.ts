import { DAY_MS } from "./event-log.js";
import { forecastHowMany, forecastWhen, weeklyThroughput, type Completions } from "./forecast.js";

export interface FlowForecast {
  /** Completions in each of the last weeks, oldest first: what the trials sample. */
  weeklySamples: number[];
  /** When the items open now will be done. */
  whenOpenDone: { items: number; result: ReturnType<typeof forecastWhen> } | null;
  /** How many items will be done in the next weeks. */
  nextWeeks: { weeks: number; result: ReturnType<typeof forecastHowMany> };
}

/** Throughput history the forecast samples: recent enough to reflect the team as it is now. */
export const SAMPLE_WEEKS = 12;
export const HORIZON_WEEKS = 4;

/** `completions`: when the items in scope were completed; `open`: how many are not. */
export function forecastOf(completions: Completions, open: number, asOf: number): FlowForecast {
  const weeklySamples = weeklyThroughput(completions, asOf - SAMPLE_WEEKS * 7 * DAY_MS, asOf);
  return {
    weeklySamples,
    whenOpenDone: open > 0 ? { items: open, result: forecastWhen(weeklySamples, open) } : null,
    nextWeeks: { weeks: HORIZON_WEEKS, result: forecastHowMany(weeklySamples, HORIZON_WEEKS) },
  };
}
