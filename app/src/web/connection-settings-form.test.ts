import { describe, expect, it } from "vitest";
import { createClassifier, WAIT_CLASSES } from "../analysis/classify.js";
import { AppError } from "../platform/errors.js";
import {
  calendarForm,
  readSettingsChange,
  sectionOf,
  statusCategoryRows,
  STEP_CLASS_CHOICES,
  stepClassRows,
  submittedCalendar,
} from "./connection-settings-form.js";

const form = (fields: Record<string, string>) => (name: string) => fields[name] ?? "";

function refusal(action: () => unknown): AppError {
  try {
    action();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("step classes", () => {
  it("pairs each wait class with the category the classifier gives it", () => {
    // A name per wait class, classified by classify.ts's own patterns.
    const named = { team_queue: "Backlog", active_work: "In Progress", external_wait: "Pending", automation_wait: "Resolved", finished: "Done" } as const;
    const classifier = createClassifier();
    expect(Object.keys(STEP_CLASS_CHOICES).sort()).toEqual([...WAIT_CLASSES].sort());
    for (const waitClass of WAIT_CLASSES) {
      expect(STEP_CLASS_CHOICES[waitClass].category, waitClass).toBe(classifier.classify(named[waitClass])!.category);
    }
  });

  it("reads the rows into overrides to set and to clear, and keeps what it was told to keep", () => {
    const change = readSettingsChange(
      "steps",
      form({ "name-0": "Blocked", "choice-0": "external_wait", "name-1": "In Review", "choice-1": "", "name-2": "Odd", "choice-2": "keep", "name-4": "Skipped", "choice-4": "finished" }),
    );
    expect(change).toEqual({ section: "steps", overrides: { set: { Blocked: { category: "waiting", waitClass: "external_wait" } }, cleared: ["In Review"] } });
  });

  it("refuses a class it does not offer, naming the step", () => {
    const error = refusal(() => readSettingsChange("steps", form({ "name-0": "Blocked", "choice-0": "toString" })));
    expect(error.status).toBe(400);
    expect(error.message).toBe('"toString" is not a step class: choose one from the list for "Blocked".');
  });

  it("stores a step named __proto__ as an entry like any other", () => {
    const change = readSettingsChange("steps", form({ "name-0": "__proto__", "choice-0": "finished" }));
    expect(change.section === "steps" && JSON.stringify(change.overrides.set)).toBe('{"__proto__":{"category":"done","waitClass":"finished"}}');
  });

  it("lists the output's steps, then steps only an override names, each with its class now and its stored choice", () => {
    const rows = stepClassRows(
      [
        { step: "In Progress", class: { category: "in_progress", waitClass: "active_work", source: "name" } },
        { step: "Blocked", class: { category: "waiting", waitClass: "external_wait", source: "override" } },
        { step: "Limbo", class: null },
        { step: "constructor", class: { category: "done", waitClass: "finished", source: "name" } },
      ],
      { Blocked: { category: "waiting", waitClass: "external_wait" }, Gone: { category: "done", waitClass: "finished" }, Odd: { category: "in_progress", waitClass: "external_wait" } },
    );
    const selected = (row: (typeof rows)[number]) => row.options.filter((option) => option.selected).map((option) => option.value);
    expect(rows.map((row) => [row.name, row.current, selected(row)])).toEqual([
      ["In Progress", "Active work (in progress), by its name", [""]],
      ["Blocked", "Waiting outside the team, set here", ["external_wait"]],
      ["Limbo", "Not classified: its time is left out of the headline bottlenecks", [""]],
      ["constructor", "Finished (done), by its name", [""]],
      ["Gone", "Not in the latest figures", ["finished"]],
      // A pair the choices do not offer is kept unless another class is chosen.
      ["Odd", "Not in the latest figures", ["keep"]],
    ]);
    expect(rows[0]!.options.map((option) => option.value)).toEqual(["", "team_queue", "active_work", "external_wait", "automation_wait", "finished"]);
  });
});

describe("status categories", () => {
  it("lists each status with its category now, and reads the choices", () => {
    const rows = statusCategoryRows(["Open", "Blocked"], { Blocked: "in_progress", Archived: "done" });
    expect(rows.map((row) => [row.name, row.current])).toEqual([
      ["Open", "Not set"],
      ["Blocked", "In progress"],
      ["Archived", "Done"],
    ]);
    const change = readSettingsChange("statuses", form({ "name-0": "Open", "choice-0": "todo", "name-1": "Blocked", "choice-1": "" }));
    expect(change).toEqual({ section: "statuses", overrides: { set: { Open: "todo" }, cleared: ["Blocked"] } });
    expect(refusal(() => readSettingsChange("statuses", form({ "name-0": "Open", "choice-0": "waiting" }))).message).toContain('"waiting" is not a status category');
  });
});

describe("the working calendar", () => {
  const fields = {
    timeZone: "Europe/Amsterdam",
    "workingDay-1": "on",
    "workingDay-2": "on",
    "workingDay-0": "on",
    dayStart: "08:30",
    dayEnd: "24:00",
    holidays: "2026-12-26\n2026-12-25, 2026-12-25",
  };

  it("reads the form into a calendar parseCalendar accepts", () => {
    expect(readSettingsChange("calendar", form(fields))).toEqual({
      section: "calendar",
      calendar: { timeZone: "Europe/Amsterdam", workingDays: [0, 1, 2], dayStart: "08:30", dayEnd: "24:00", holidays: ["2026-12-25", "2026-12-26"] },
    });
  });

  it("refuses a calendar parseCalendar refuses, naming the form's fields", () => {
    const error = refusal(() => readSettingsChange("calendar", form({ ...fields, timeZone: "Mars/Olympus", dayStart: "17:00", dayEnd: "09:00", holidays: "2026-02-30" })));
    expect(error.status).toBe(400);
    expect(error.message).toContain('Time zone: unknown time zone "Mars/Olympus"');
    expect(error.message).toContain("Working hours end: 09:00 must be after dayStart 17:00");
    expect(error.message).toContain('Holidays: "2026-02-30" is not a date');
    expect(refusal(() => readSettingsChange("calendar", form({ ...fields, "workingDay-0": "", "workingDay-1": "", "workingDay-2": "" }))).message).toContain(
      "Working days: must name at least one working day",
    );
  });

  it("shows the days Monday first, as typed", () => {
    const shown = calendarForm(submittedCalendar(form(fields)));
    expect(shown.days.filter((day) => day.checked).map((day) => day.label)).toEqual(["Monday", "Tuesday", "Sunday"]);
    expect(shown.workingDaysText).toBe("Monday, Tuesday, Sunday");
    expect(shown.holidaysText).toBe("2026-12-26, 2026-12-25, 2026-12-25");
  });
});

describe("the scan schedule", () => {
  it("takes whole minutes within the column's range", () => {
    expect(readSettingsChange("schedule", form({ scanEveryMinutes: " 30 " }))).toEqual({ section: "schedule", scanEveryMinutes: 30 });
    expect(readSettingsChange("schedule", form({ scanEveryMinutes: "10080" }))).toEqual({ section: "schedule", scanEveryMinutes: 10_080 });
    for (const raw of ["4", "10081", "7.5", "", "1e3"]) {
      expect(refusal(() => readSettingsChange("schedule", form({ scanEveryMinutes: raw }))).message, raw).toBe("Scan every: enter a whole number of minutes from 5 to 10080 (a week).");
    }
  });
});

it("refuses a section it does not know", () => {
  expect(sectionOf("calendar")).toBe("calendar");
  expect(refusal(() => sectionOf("credentials")).message).toBe("Say which settings to save: one of steps, statuses, calendar, schedule.");
});
