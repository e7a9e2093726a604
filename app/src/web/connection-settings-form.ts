/**
 * The forms of a connection's settings page: the rows and fields they show, and what a
 * submitted form changes. Reading and storing is the route's; this module says what the
 * fields mean and refuses what cannot be stored, saying what to fix.
 */
import { InvalidCalendarError, parseCalendar, type WorkingCalendar } from "../analysis/calendar.js";
import type { ProviderCategory, StepCategory, StepClass, WaitClass } from "../analysis/classify.js";
import { badRequest } from "../platform/errors.js";

/** The page's forms; each saves one part of the settings. */
export const SECTIONS = ["steps", "statuses", "calendar", "schedule"] as const;
export type Section = (typeof SECTIONS)[number];

export function sectionOf(raw: string): Section {
  const section = SECTIONS.find((candidate) => candidate === raw);
  if (!section) throw badRequest("unknown_section", `Say which settings to save: one of ${SECTIONS.join(", ")}.`);
  return section;
}

/** The confirmation shown after a save, from the page's `saved` query; none for anything else. */
export function savedNoticeOf(query: unknown): string | null {
  const section = SECTIONS.find((candidate) => candidate === query);
  return section ? SAVED_NOTICES[section] : null;
}

const SAVED_NOTICES: Readonly<Record<Section, string>> = {
  steps: "Step classes saved: the connection's figures on every page now use them.",
  statuses: "Status categories saved: the connection's figures on every page now use them.",
  calendar: "Working calendar saved: the connection's business-time figures now use it.",
  schedule: "Scan schedule saved.",
};

/** A submitted field as a string ("" when absent). */
type Field = (name: string) => string;

/** Each wait class with the category classify.ts gives it: the classes a step can be set to. */
export const STEP_CLASS_CHOICES: Readonly<Record<WaitClass, { category: StepCategory; label: string }>> = {
  team_queue: { category: "todo", label: "Team queue (to do)" },
  active_work: { category: "in_progress", label: "Active work (in progress)" },
  external_wait: { category: "waiting", label: "Waiting outside the team" },
  automation_wait: { category: "done", label: "Waiting on automation (done for the team)" },
  finished: { category: "done", label: "Finished (done)" },
};

export const STATUS_CATEGORY_CHOICES: Readonly<Record<ProviderCategory, string>> = { todo: "To do", in_progress: "In progress", done: "Done" };

const CLASS_SOURCES: Readonly<Record<StepClass["source"], string>> = { override: "set here", name: "by its name", provider: "by the tool's status category" };

/** Select values beside the choices: let the classifier decide, or leave a stored value this form has no choice for. */
const AUTOMATIC = "";
const KEEP = "keep";

export type StepOverride = { category: StepCategory; waitClass: WaitClass };

/** What a submitted table changes: the values set, and the names whose value is removed. Names not submitted keep theirs. */
export interface OverrideChanges<T> {
  set: Record<string, T>;
  cleared: string[];
}

/** The form fields of the working calendar, as typed (so a refused form shows them again unchanged). */
export interface CalendarFields {
  timeZone: string;
  workingDays: number[];
  dayStart: string;
  dayEnd: string;
  /** Dates, one a line. */
  holidays: string;
}

export type SettingsChange =
  | { section: "steps"; overrides: OverrideChanges<StepOverride> }
  | { section: "statuses"; overrides: OverrideChanges<ProviderCategory> }
  | { section: "calendar"; calendar: WorkingCalendar }
  | { section: "schedule"; scanEveryMinutes: number };

/** What the submitted form of a section changes; a 400 that says what to fix when it cannot be stored. */
export function readSettingsChange(section: Section, field: Field): SettingsChange {
  switch (section) {
    case "steps":
      return { section, overrides: readOverrides(field, "a step class", (choice) => hasChoice(STEP_CLASS_CHOICES, choice) && { category: STEP_CLASS_CHOICES[choice].category, waitClass: choice }) };
    case "statuses":
      return { section, overrides: readOverrides(field, "a status category", (choice) => hasChoice(STATUS_CATEGORY_CHOICES, choice) && choice) };
    case "calendar":
      return { section, calendar: readCalendar(submittedCalendar(field)) };
    case "schedule":
      return { section, scanEveryMinutes: readScanEveryMinutes(field("scanEveryMinutes")) };
  }
}

const hasChoice = <K extends string>(choices: Readonly<Record<K, unknown>>, value: string): value is K => Object.hasOwn(choices, value);

/** Rows `name-N` (hidden) and `choice-N` (the select), from 0 until a name is missing. */
function readOverrides<T>(field: Field, what: string, valueOf: (choice: string) => T | false): OverrideChanges<T> {
  const set: [string, T][] = [];
  const cleared: string[] = [];
  for (let row = 0; field(`name-${row}`) !== ""; row += 1) {
    const name = field(`name-${row}`);
    const choice = field(`choice-${row}`);
    if (choice === KEEP) continue;
    if (choice === AUTOMATIC) {
      cleared.push(name);
      continue;
    }
    const value = valueOf(choice);
    if (value === false) throw badRequest("invalid_choice", `"${choice}" is not ${what}: choose one from the list for "${name}".`);
    set.push([name, value]);
  }
  // fromEntries makes own properties even of names like "__proto__".
  return { set: Object.fromEntries(set), cleared };
}

export interface ChoiceRow {
  name: string;
  /** What applies now, in words. */
  current: string;
  options: { value: string; label: string; selected: boolean }[];
}

/**
 * A row per step of the latest output, in its order, then per step only the stored
 * overrides name; each shows the step's class now and offers the classes to set.
 */
export function stepClassRows(steps: readonly { step: string; class: StepClass | null }[], stored: unknown): ChoiceRow[] {
  const overrides = entriesOf(stored);
  const classNow = new Map(steps.map((step) => [step.step, step.class]));
  const choices = Object.entries(STEP_CLASS_CHOICES).map(([value, choice]) => ({ value, label: choice.label }));
  return namesOf(steps.map((step) => step.step), overrides).map((name) => {
    const override = overrides.get(name);
    const chosen = override === undefined ? AUTOMATIC : (Object.keys(STEP_CLASS_CHOICES) as WaitClass[]).find((waitClass) => isOverride(override, waitClass)) ?? KEEP;
    const current = classNow.has(name) ? describeClass(classNow.get(name)!) : "Not in the latest figures";
    return { name, current, options: optionsOf(choices, chosen) };
  });
}

/** A row per step of the latest output, then per status only the stored categories name. */
export function statusCategoryRows(steps: readonly string[], stored: unknown): ChoiceRow[] {
  const categories = entriesOf(stored);
  const choices = Object.entries(STATUS_CATEGORY_CHOICES).map(([value, label]) => ({ value, label }));
  return namesOf(steps, categories).map((name) => {
    const category = categories.get(name);
    const known = typeof category === "string" && hasChoice(STATUS_CATEGORY_CHOICES, category);
    const chosen = category === undefined ? AUTOMATIC : known ? category : KEEP;
    return { name, current: known ? STATUS_CATEGORY_CHOICES[category] : category === undefined ? "Not set" : "Set, but not readable", options: optionsOf(choices, chosen) };
  });
}

function describeClass(stepClass: StepClass | null): string {
  if (!stepClass) return "Not classified: its time is left out of the headline bottlenecks";
  const choice = STEP_CLASS_CHOICES[stepClass.waitClass];
  const name = choice.category === stepClass.category ? choice.label : `${stepClass.category} · ${stepClass.waitClass}`;
  return `${name}, ${CLASS_SOURCES[stepClass.source]}`;
}

function isOverride(value: unknown, waitClass: WaitClass): boolean {
  const override = value as Partial<StepOverride> | null;
  return typeof override === "object" && override?.waitClass === waitClass && override.category === STEP_CLASS_CHOICES[waitClass].category;
}

function optionsOf(choices: readonly { value: string; label: string }[], chosen: string): ChoiceRow["options"] {
  const options = [{ value: AUTOMATIC, label: "Automatic" }, ...choices];
  // A stored value with no choice of its own stays as it is unless another is chosen.
  if (chosen === KEEP) options.push({ value: KEEP, label: "As set before (kept)" });
  return options.map((option) => ({ ...option, selected: option.value === chosen }));
}

function namesOf(shown: readonly string[], stored: ReadonlyMap<string, unknown>): string[] {
  const seen = new Set(shown);
  return [...shown, ...[...stored.keys()].filter((name) => !seen.has(name)).sort()];
}

/** A stored jsonb object's entries, looked up by name without reaching Object.prototype ("constructor" is a fine step name). */
function entriesOf(value: unknown): ReadonlyMap<string, unknown> {
  return new Map(typeof value === "object" && value !== null && !Array.isArray(value) ? Object.entries(value) : []);
}

/** Monday first, as the form lists them; the values are parseCalendar's (0 = Sunday). */
const WEEKDAYS: readonly { value: number; label: string }[] = [
  { value: 1, label: "Monday" },
  { value: 2, label: "Tuesday" },
  { value: 3, label: "Wednesday" },
  { value: 4, label: "Thursday" },
  { value: 5, label: "Friday" },
  { value: 6, label: "Saturday" },
  { value: 0, label: "Sunday" },
];

/** The form's labels for parseCalendar's field names, so a refusal names what is on the page. */
const CALENDAR_LABELS: Readonly<Record<string, string>> = {
  timeZone: "Time zone",
  workingDays: "Working days",
  dayStart: "Working hours start",
  dayEnd: "Working hours end",
  holidays: "Holidays",
};

export function calendarFieldsOf(calendar: WorkingCalendar): CalendarFields {
  return { timeZone: calendar.timeZone, workingDays: [...calendar.workingDays], dayStart: calendar.dayStart, dayEnd: calendar.dayEnd, holidays: calendar.holidays.join("\n") };
}

/** The calendar form as submitted: a checkbox `workingDay-N` per weekday, holidays separated by lines, spaces or commas. */
export function submittedCalendar(field: Field): CalendarFields {
  return {
    timeZone: field("timeZone").trim(),
    workingDays: WEEKDAYS.filter((day) => field(`workingDay-${day.value}`) === "on").map((day) => day.value),
    dayStart: field("dayStart").trim(),
    dayEnd: field("dayEnd").trim(),
    holidays: field("holidays"),
  };
}

/** The calendar the fields describe, as parseCalendar accepts it; its refusal names the form's fields. */
export function readCalendar(fields: CalendarFields): WorkingCalendar {
  try {
    return parseCalendar({ ...fields, holidays: holidayDates(fields.holidays) });
  } catch (err) {
    if (!(err instanceof InvalidCalendarError)) throw err;
    throw badRequest("invalid_calendar", `The working calendar was not saved. Fix: ${err.problems.map(inFormWords).join("; ")}.`);
  }
}

const holidayDates = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean);

/** "holidays.1: …" becomes "Holidays: …". */
function inFormWords(problem: string): string {
  const [path = "", ...rest] = problem.split(": ");
  const label = CALENDAR_LABELS[path.split(".")[0]!];
  return label ? [label, ...rest].join(": ") : problem;
}

/** What the calendar section shows: the fields, each weekday's checkbox, and the days in words. */
export function calendarForm(fields: CalendarFields) {
  const days = WEEKDAYS.map((day) => ({ ...day, checked: fields.workingDays.includes(day.value) }));
  return {
    ...fields,
    days,
    workingDaysText: days.filter((day) => day.checked).map((day) => day.label).join(", ") || "None",
    holidaysText: holidayDates(fields.holidays).join(", ") || "None",
  };
}

/** The column's CHECK constraint (migration 0003): five minutes to a week. */
export const SCAN_EVERY_MINUTES = { min: 5, max: 10_080 } as const;

export function readScanEveryMinutes(raw: string): number {
  const minutes = /^\d{1,6}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(minutes >= SCAN_EVERY_MINUTES.min && minutes <= SCAN_EVERY_MINUTES.max)) {
    throw badRequest("invalid_schedule", `Scan every: enter a whole number of minutes from ${SCAN_EVERY_MINUTES.min} to ${SCAN_EVERY_MINUTES.max} (a week).`);
  }
  return minutes;
}
