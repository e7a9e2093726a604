/**
 * What each step means for flow: its category (to do, in progress, waiting, done) and the
 * kind of wait it is. Only the team-queue and active-work waits are ones a team can act on;
 * a customer's silence or an auto-close timer is shown, but never ranked as the team's
 * bottleneck.
 */
export type StepCategory = "todo" | "in_progress" | "waiting" | "done";
export type WaitClass = "team_queue" | "active_work" | "external_wait" | "automation_wait" | "finished";

/** A wait class (or a step nothing classifies) in words, for pages and the assistant alike. */
export const WAIT_CLASS_WORDS: Readonly<Record<WaitClass | "unclassified", string>> = {
  team_queue: "team queue",
  active_work: "active work",
  external_wait: "customer or vendor wait",
  automation_wait: "automation wait",
  finished: "finished",
  unclassified: "not classified",
};
export type ClassSource = "override" | "name" | "provider";

export interface StepClass {
  category: StepCategory;
  waitClass: WaitClass;
  source: ClassSource;
}

/** A provider's own grouping of statuses (Jira status categories, Linear state types, …). */
export type ProviderCategory = "todo" | "in_progress" | "done";

export interface ClassifierSettings {
  /** Per connection, set by the user: wins over everything. */
  overrides?: Readonly<Record<string, { category: StepCategory; waitClass: WaitClass }>>;
  providerCategories?: Readonly<Record<string, ProviderCategory>>;
}

export const WAIT_CLASSES: readonly WaitClass[] = ["team_queue", "active_work", "external_wait", "automation_wait", "finished"];
/** The waits a team can shorten itself; the headline bottleneck ranking counts only these. */
export const ACTIONABLE: ReadonlySet<WaitClass> = new Set(["team_queue", "active_work"]);

const CATEGORY_OF: Readonly<Record<WaitClass, StepCategory>> = {
  team_queue: "todo",
  active_work: "in_progress",
  external_wait: "waiting",
  automation_wait: "done",
  finished: "done",
};

/**
 * Name patterns, most specific first: "Resolved" is done for the team but waits on an
 * auto-close; "Pending" waits on someone outside the team. Matched on the whole name,
 * lower-cased, with separators folded to spaces.
 */
const NAME_PATTERNS: readonly [RegExp, WaitClass][] = [
  [/^(resolved|solved|pending close|awaiting (auto )?close|auto ?clos(e|ing)|to be archived)$/, "automation_wait"],
  [/^(pending|on hold|awaiting (user|customer|requester|vendor|third party|reply|response|info|information|user info)|waiting (for|on) (customer|user|requester|vendor|third party|reply|response|support))$/, "external_wait"],
  [/^(new|open|opened|to do|todo|backlog|queued|triage|ready|selected for development|awaiting assignment|unassigned|reopened|ready for (dev|development|review|qa|test))$/, "team_queue"],
  [/^(in progress|doing|in development|development|in review|review|code review|in qa|qa|testing|in test|work in progress|wip|investigating|implementing|working)$/, "active_work"],
  [/^(done|closed|complete|completed|released|deployed|fixed|won ?t do|won ?t fix|cancelled|canceled|duplicate|rejected|archived|merged)$/, "finished"],
];

const PROVIDER_WAIT_CLASS: Readonly<Record<ProviderCategory, WaitClass>> = { todo: "team_queue", in_progress: "active_work", done: "finished" };

export interface StepClassifier {
  /** The step's class, or null when nothing says what it is (listed, never guessed). */
  classify(step: string): StepClass | null;
}

export function createClassifier(settings: ClassifierSettings = {}): StepClassifier {
  const cache = new Map<string, StepClass | null>();
  return {
    classify(step) {
      let known = cache.get(step);
      if (known === undefined) {
        known = classifyStep(step, settings);
        cache.set(step, known);
      }
      return known;
    },
  };
}

function classifyStep(step: string, settings: ClassifierSettings): StepClass | null {
  // Own entries only: a step named "constructor" must not find the object's prototype.
  const override = ownEntry(settings.overrides, step);
  if (override) return { ...override, source: "override" };
  const byName = waitClassByName(step);
  // The name speaks first for waits a provider category cannot express (Jira has no "waiting").
  if (byName && (byName === "external_wait" || byName === "automation_wait")) return withCategory(byName, "name");
  const provider = ownEntry(settings.providerCategories, step);
  if (provider) return withCategory(PROVIDER_WAIT_CLASS[provider], "provider");
  return byName ? withCategory(byName, "name") : null;
}

const ownEntry = <T>(entries: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  entries !== undefined && Object.hasOwn(entries, key) ? entries[key] : undefined;

const withCategory = (waitClass: WaitClass, source: ClassSource): StepClass => ({ category: CATEGORY_OF[waitClass], waitClass, source });

function waitClassByName(step: string): WaitClass | null {
  const name = step.toLowerCase().replace(/[\s_\-'’]+/g, " ").trim();
  for (const [pattern, waitClass] of NAME_PATTERNS) if (pattern.test(name)) return waitClass;
  return null;
}
