// The grant invariant, over random plans, random grant requests, modifications before approval
// and changes mid-run with random phrases typed: no command of any attempt is ever given a right
// (the network, a writable path, no sandbox) that a human was not shown with that task's phrase
// typed, in the version approved or in a change confirmed since; nor more than the task asks now.
import { resolve } from "node:path";
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { PehError, confirmationPhrase, type Grants, type PlanFile, type PlanTask } from "../events/index.js";
import type { CommandInput } from "../machines/decider/commands.js";
import { decide } from "../machines/decider/decider.js";
import { requestedGrants } from "../machines/grants.js";
import { initialRunState, type RunState } from "../machines/fold/run.js";
import { stateName } from "../machines/fold/state-name.js";
import { grantsOf, type CommandKind, type EffectiveGrants } from "../runtime/workspace/grants.js";
import { AT, BOOTSTRAP, RUN, planFile } from "./support/fixtures.js";

const WORKSPACE = "/w/app";
const PLACE = { workspace: WORKSPACE, home: "/home/ana" };
const AGENT = { network: true, writable: ["~/.agent"] };
const AGENT_PATH = "/home/ana/.agent";
const IDS = ["a", "b", "c"] as const;
const PATHS = ["/srv/cache", "/srv/cache/deep", "/srv", "out", "out/sub", "../shared", "/w/app/out"];
const KINDS: CommandKind[] = ["run", "agent", "acceptance_test"];

const taskArb = (id: string) =>
  fc.record(
    {
      network: fc.boolean(),
      writable: fc.subarray(PATHS),
      sandbox: fc.constant("off" as const),
      risky: fc.boolean(),
      // "b" as a phrase collides with task b's own: one typed phrase may stand for two tasks.
      confirm: fc.constantFrom("fetch the fixtures", "b"),
    },
    { requiredKeys: [] },
  ).map((asks) => ({ id, objective: `Build ${id}.js`, scope: "workspace" as const, run: "true", acceptance_tests: ["true"], ...asks }));

const planArb: fc.Arbitrary<PlanFile> = fc
  .subarray([...IDS], { minLength: 1 })
  .chain((ids) => fc.tuple(...ids.map(taskArb)))
  .map((tasks) => planFile({ objective: "Fetch and build", tasks }));

const phrasesArb = fc.subarray(["a", "b", "c", "fetch the fixtures", "yes"]);

/** One edit of a task of the current version (the task is added if the version lacks it). */
type Edit = { id: string; network?: boolean; path?: string; dropPaths?: true; sandbox?: "off" | "on"; confirm?: string | null };
const editArb: fc.Arbitrary<Edit> = fc.record({ id: fc.constantFrom(...IDS) }).chain(({ id }) =>
  fc.oneof(
    fc.record({ id: fc.constant(id), network: fc.boolean() }),
    fc.record({ id: fc.constant(id), path: fc.constantFrom(...PATHS) }),
    fc.constant({ id, dropPaths: true as const }),
    fc.record({ id: fc.constant(id), sandbox: fc.constantFrom("off" as const, "on" as const) }),
    fc.record({ id: fc.constant(id), confirm: fc.constantFrom("fetch the fixtures", "b", null) }),
  ),
);

function edited(plan: PlanFile, edits: readonly Edit[]): PlanFile {
  let tasks = [...plan.tasks];
  for (const edit of edits) {
    if (!tasks.some((task) => task.id === edit.id)) tasks.push(planFile({ objective: "x", tasks: [{ id: edit.id, objective: `Build ${edit.id}.js`, scope: "workspace", run: "true", acceptance_tests: ["true"] }] }).tasks[0]!);
    tasks = tasks.map((task) => {
      if (task.id !== edit.id) return task;
      const next: PlanTask = { ...task };
      if (edit.network !== undefined) next.network = edit.network;
      if (edit.path !== undefined) next.writable = [...(task.writable ?? []), edit.path];
      if (edit.dropPaths) delete next.writable;
      if (edit.sandbox === "off") next.sandbox = "off";
      if (edit.sandbox === "on") delete next.sandbox;
      if (edit.confirm === null) delete next.confirm;
      else if (edit.confirm !== undefined) next.confirm = edit.confirm;
      return next;
    });
  }
  return planFile({ objective: plan.objective, tasks });
}

type Step =
  | { kind: "modify"; plan: PlanFile }
  | { kind: "approve"; phrases: string[]; all: boolean }
  | { kind: "start" }
  | { kind: "change"; plan: PlanFile; phrases: string[]; all: boolean }
  | { kind: "edit"; edits: Edit[]; phrases: string[]; all: boolean }
  | { kind: "attempt"; id: string };

const anyStepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("modify" as const), plan: planArb }),
  fc.record({ kind: fc.constant("approve" as const), phrases: phrasesArb, all: fc.boolean() }),
  fc.constant({ kind: "start" as const }),
  fc.record({ kind: fc.constant("change" as const), plan: planArb, phrases: phrasesArb, all: fc.boolean() }),
  fc.record({ kind: fc.constant("edit" as const), edits: fc.array(editArb, { minLength: 1, maxLength: 3 }), phrases: phrasesArb, all: fc.boolean() }),
  fc.record({ kind: fc.constant("attempt" as const), id: fc.constantFrom(...IDS) }),
);

/**
 * Mostly the shape of a real run, so that the walk gets to changes mid-run: some steps before
 * the gate (modifications, approvals with phrases missing), an approval with every phrase typed
 * (usually), the start, then changes, edits and attempts with phrases typed or not. Any step may
 * still come anywhere: the decider refuses what is not possible.
 */
const stepsArb: fc.Arbitrary<Step[]> = fc
  .tuple(
    fc.array(anyStepArb, { maxLength: 3 }),
    fc.option(fc.constant<Step>({ kind: "approve", phrases: [], all: true }), { freq: 5 }),
    fc.array(anyStepArb, { maxLength: 10 }),
  )
  .map(([before, approval, after]) => [...before, ...(approval ? [approval, { kind: "start" } as Step] : []), ...after]);

/** Every phrase the plan's tasks need: a human who types them all. */
const allPhrases = (plan: Pick<PlanFile, "tasks">) => plan.tasks.map(confirmationPhrase);

/**
 * The model: what a human was shown, task by task, with its phrase typed, since the last
 * approval. Kept from the commands the decider accepted, not from the machines' own state.
 */
type Shown = Map<string, Grants[]>;

function showWith(shown: Shown, plan: Pick<PlanFile, "tasks">, typed: readonly string[]): void {
  for (const task of plan.tasks) {
    const grants = requestedGrants(task);
    if (grants === undefined || !typed.includes(confirmationPhrase(task))) continue;
    shown.set(task.id, [...(shown.get(task.id) ?? []), grants]);
  }
}

function commandsFor(step: Step, state: RunState): CommandInput[] {
  const version = state.plan_spec?.version ?? 1;
  switch (step.kind) {
    case "modify":
      return [{ type: "ModifyPlan", at: AT, actor: "bo", plan: step.plan, change: "edited" }];
    case "approve":
      return [{ type: "ApprovePlan", at: AT, actor: "ana", version, confirmations: step.all ? allPhrases(state.plan_spec ?? { tasks: [] }) : step.phrases }];
    case "start":
      return [...BOOTSTRAP, { type: "ScheduleReadyTasks", at: AT }];
    case "change":
      return [{ type: "ChangePlan", at: AT, actor: "bo", plan: step.plan, change: "changed mid-run", confirmations: step.all ? allPhrases(step.plan) : step.phrases }];
    case "edit": {
      // Before execution an edit is a modification (a new version to approve), after it a change.
      const plan = edited(state.plan_spec!, step.edits);
      if (state.plan.context.approved_version === null) return [{ type: "ModifyPlan", at: AT, actor: "bo", plan, change: "edited" }];
      return [{ type: "ChangePlan", at: AT, actor: "bo", plan, change: "edited mid-run", confirmations: step.all ? allPhrases(plan) : step.phrases }];
    }
    case "attempt":
      return [{ type: "ScheduleReadyTasks", at: AT }, { type: "StartAttempt", at: AT, task_id: step.id, cwd: WORKSPACE }];
  }
}

/** Is the absolute `path` one a shown grant holds (the same path or below it)? */
const holds = (shownPaths: readonly string[], path: string) =>
  shownPaths.some((shownPath) => {
    const root = resolve(WORKSPACE, shownPath);
    return path === root || path.startsWith(`${root}/`);
  });

function expectWithin(effective: EffectiveGrants, task: PlanTask, kind: CommandKind, shown: Shown): void {
  const seen = shown.get(task.id) ?? [];
  const asks = requestedGrants(task);
  // The user's agent.grants are the user's, for the agent command only: set apart first.
  const own = { ...effective, writable: effective.writable.filter((path) => !(kind === "agent" && path === AGENT_PATH)) };
  const network = own.network && !(kind === "agent" && AGENT.network);
  const where = `${task.id} (${kind}) got ${JSON.stringify(effective)}; shown with its phrase: ${JSON.stringify(seen)}; asks: ${JSON.stringify(asks)}`;
  if (kind !== "agent") expect(effective.writable, where).not.toContain(AGENT_PATH);
  if (network) expect(seen.some((grants) => grants.network === true) && asks?.network === true, where).toBe(true);
  if (own.sandbox === "off") expect(seen.some((grants) => grants.sandbox === "off") && asks?.sandbox === "off", where).toBe(true);
  for (const path of own.writable) {
    expect(seen.some((grants) => holds(grants.writable ?? [], path)) && holds(asks?.writable ?? [], path), `${where}: ${path}`).toBe(true);
  }
}

describe("grants › property", () => {
  test.prop([planArb, stepsArb], { numRuns: 200 })(
    "no attempt runs with a right that the approved version (or a confirmed change) did not show with its phrase",
    (first, steps) => {
      let state = decide(initialRunState(), { type: "CreatePlan", at: AT, run_id: RUN, plan: first, workspace: WORKSPACE }).state;
      const shown: Shown = new Map();
      for (const step of steps) {
        const before = state;
        try {
          for (const command of commandsFor(step, state)) state = decide(state, command).state;
        } catch (error) {
          if (!(error instanceof PehError)) throw error;
          // Refused: nothing of the step counts (a partly applied step is undone as a whole).
          state = before;
          continue;
        }
        const command = commandsFor(step, before)[0]!;
        const typed = typedIn(command);
        // A modification voids the approval; an approval shows the version it approves; a
        // confirmed change shows its version's tasks whose phrases were typed.
        if (command.type === "ModifyPlan" || command.type === "ApprovePlan") shown.clear();
        if (command.type === "ApprovePlan") showWith(shown, before.plan_spec!, typed);
        if (command.type === "ChangePlan") showWith(shown, state.plan_spec!, typed);
        // Every task of the version that runs, every command kind: as an attempt would be given.
        for (const task of state.plan_spec?.tasks ?? []) {
          for (const kind of KINDS) {
            const effective = grantsOf(task, state.plan.context, AGENT, kind, PLACE);
            expectWithin(effective, task, kind, shown);
            if (kind === "run" && stateName(state.tasks.get(task.id)?.value ?? "pending") === "running" && (effective.network || effective.writable.length > 0 || effective.sandbox === "off")) {
              reached.granted++;
            }
          }
        }
        if (command.type === "ChangePlan") reached.changes++;
      }
    },
  );

  // The walk must get where the property bites: attempts that run with a grant, changes mid-run.
  test("reaches attempts running with grants and accepted changes mid-run", () => {
    expect(reached.granted).toBeGreaterThan(0);
    expect(reached.changes).toBeGreaterThan(0);
  });
});

const reached = { granted: 0, changes: 0 };

function typedIn(command: CommandInput): string[] {
  return command.type === "ApprovePlan" || command.type === "ChangePlan" ? (command.confirmations ?? []) : [];
}
