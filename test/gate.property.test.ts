// For random plans and random sequences of gate actions (and attempts to start work), no task of
// a version is ever made ready without an approval of that exact version carrying every risky
// task's phrase.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { PlanFileSchema, isPehError, type PehEvent, type PlanFile } from "../events/index.js";
import type { CommandInput } from "../machines/decider/commands.js";
import { decide } from "../machines/decider/decider.js";
import { riskyTasksOf } from "../machines/plan.js";
import { initialRunState, type RunState } from "../machines/fold/run.js";
import { AT, BOOTSTRAP, RUN } from "./support/fixtures.js";

const randomPlan = fc
  .array(fc.record({ risky: fc.boolean(), phrase: fc.option(fc.constantFrom("ship it", "yes", "deploy now", "drop the table"), { nil: undefined }) }), {
    minLength: 1,
    maxLength: 5,
  })
  .map((tasks): PlanFile =>
    PlanFileSchema.parse({
      objective: "Release app.js",
      tasks: tasks.map((t, i) => ({
        id: `t${i}`,
        objective: `Step ${i} of app.js`,
        scope: "workspace",
        run: "true",
        depends_on: i > 0 ? [`t${i - 1}`] : [],
        risky: t.risky,
        ...(t.phrase ? { confirm: t.phrase } : {}),
      })),
    }),
  );

const phrases = fc.subarray(["ship it", "yes", "deploy now", "drop the table", "t0", "t1", "t2", "t3", "t4"]);

/** An approval of the current version with its phrases, one dropped (or all given): built from the run's state. */
interface Informed {
  informed: true;
  dropOne: boolean;
}
type Step = CommandInput | CommandInput[] | Informed;

const action = (plans: PlanFile[]): fc.Arbitrary<Step> =>
  fc.oneof(
    fc.boolean().map((dropOne): Informed => ({ informed: true, dropOne })),
    fc.boolean().map((dropOne): Informed => ({ informed: true, dropOne })),
    fc.tuple(fc.integer({ min: 1, max: 4 }), phrases).map(([version, confirmations]): CommandInput => ({ type: "ApprovePlan", at: AT, actor: "ana", version, confirmations })),
    fc.constantFrom(...plans).map((plan): CommandInput => ({ type: "ModifyPlan", at: AT, actor: "bo", plan, change: "edit" })),
    fc.constant<CommandInput>({ type: "RequestClarification", at: AT, actor: "bo", question: "?" }),
    fc.constant<CommandInput>({ type: "AnswerClarification", at: AT, actor: "ana", answer: "!" }),
    fc.constant<CommandInput>({ type: "RejectPlan", at: AT, actor: "bo", reason: "no" }),
    // Try to start work: bootstrap, then make ready whatever may be.
    fc.constant<CommandInput[]>([...BOOTSTRAP, { type: "ScheduleReadyTasks", at: AT }]),
    fc.constant<CommandInput>({ type: "ScheduleReadyTasks", at: AT }),
  );

function check(log: readonly PehEvent[]): void {
  let plan: PlanFile | undefined;
  let version = 0;
  let approval: { version: number; phrases: Map<string, string> } | undefined;
  for (const event of log) {
    if (event.type === "PLAN_CREATED" || event.type === "GATE_MODIFIED") {
      plan = event.data.plan;
      version = event.data.plan.version;
    }
    if (event.type === "GATE_APPROVED") approval = { version: event.data.version, phrases: new Map(event.data.confirmations.map((c) => [c.task_id, c.phrase])) };
    if (event.type === "TASK_READY" || event.type === "BOOTSTRAP_PHASE_STARTED") {
      expect(approval?.version, `${event.type} without an approval of version ${version}`).toBe(version);
      for (const risky of riskyTasksOf(plan!)) expect(approval!.phrases.get(risky.task_id)).toBe(risky.phrase);
    }
  }
}

/** Which runs got as far as a task made ready: asserted, so the property cannot pass vacuously. */
let reachedReady = 0;

function commandsFor(step: Step, state: RunState): CommandInput[] {
  if (Array.isArray(step)) return step;
  if (!("informed" in step)) return [step];
  const phrases = state.plan_spec ? riskyTasksOf(state.plan_spec).map((r) => r.phrase) : [];
  const confirmations = step.dropOne ? phrases.slice(1) : phrases;
  return [{ type: "ApprovePlan", at: AT, actor: "ana", version: state.plan_spec?.version ?? 1, confirmations }];
}

function play(first: PlanFile, steps: Step[]): PehEvent[] {
  const created = decide(initialRunState(), { type: "CreatePlan", at: AT, run_id: RUN, plan: first, workspace: "/w" });
  const log: PehEvent[] = [...created.events];
  let state: RunState = created.state;
  for (const step of steps) {
    // Built from the state right before the step, like a human reading `peh show` first.
    for (const command of commandsFor(step, state)) {
      try {
        const decision = decide(state, command);
        log.push(...decision.events);
        state = decision.state;
      } catch (error) {
        if (!isPehError(error)) throw error;
      }
    }
  }
  return log;
}

const scenario = fc
  .tuple(randomPlan, fc.array(randomPlan, { minLength: 1, maxLength: 3 }))
  .chain(([first, variants]) => fc.tuple(fc.constant(first), fc.array(action(variants), { maxLength: 25 })));

describe("gate › property", () => {
  test.prop([scenario], { numRuns: 500 })("no task is ready without an approval of that exact version with every risky phrase", ([first, steps]) => {
    const log = play(first, steps);
    check(log);
    if (log.some((event) => event.type === "TASK_READY")) reachedReady++;
  });

  test("some random runs got as far as a ready task", () => {
    expect(reachedReady).toBeGreaterThan(10);
  });
});
