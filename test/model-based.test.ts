// The machine is the model: every shortest path xstate/graph finds through each lifecycle is
// replayed — through the machine, and through the run aggregate the runtime uses (routing, plan
// judging, decider stamps) — and must reach the state the path claims, each step legal.
import { describe, expect, it } from "vitest";
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from "xstate";
import { getShortestPaths, getSimplePaths, getStateNodes } from "xstate/graph";
import { WorkerIdSchema, type PehEvent, type PehEventInput, type TaskId } from "../events/index.js";
import { bootstrapMachine } from "../machines/bootstrap.js";
import { decide } from "../machines/decider/decider.js";
import { planMachine } from "../machines/plan.js";
import { entityState, evolve, initialRunState, whyIllegal, type RunState } from "../machines/fold/run.js";
import { stateName } from "../machines/fold/state-name.js";
import { taskMachine } from "../machines/task.js";
import { workerMachine } from "../machines/worker.js";
import { AT, BOOTSTRAP, RUN, approve, create, planFile, scheduleReady } from "./support/fixtures.js";
import { ev } from "./support/events.js";
import { OWN, bootstrapEvents, claimEvents, planEvents, taskEvents, workerEvents } from "./support/sample-events.js";

const byValue = (snapshot: AnyMachineSnapshot) => stateName(snapshot.value);
/** A path's steps without the machine's own start event. */
const stepsOf = <S extends { event: { type: string } }>(steps: S[]) => steps.filter((step) => step.event.type !== "xstate.init");

interface Model {
  name: string;
  machine: AnyStateMachine;
  input?: unknown;
  events: (snapshot: AnyMachineSnapshot) => PehEvent[];
  /** States this model cannot reach (another model of the same machine does). */
  unreachable?: string[];
  /** How paths tell states apart (by value unless the context matters to what can follow). */
  serialize?: (snapshot: AnyMachineSnapshot) => string;
  /** Commands that bring a run to where this machine's path can start, and the entity to watch. */
  prefix?: () => { state: RunState; entity: PehEvent["entity"] };
}

const isolatedPlan = planFile({
  objective: "Build once in a worktree",
  isolation: "worktree",
  tasks: [{ id: OWN, objective: "Compile to dist/", scope: "workspace", agent: "compile it", acceptance_tests: ["true"] }],
});

const single = planFile({
  objective: "Build once",
  tasks: [{ id: OWN, objective: "Compile to dist/", scope: "workspace", run: "true", acceptance_tests: ["true"] }],
});

/** `single` planned as a rerun that may take over OWN's result from its source. */
function rerunOf(plan: typeof single): Parameters<typeof decide>[1] {
  return { ...create(plan), lineage: { kind: "rerun", source_run: "r-source", from_task: null, reused: [{ task_id: OWN, source_seq: 23, attempt: 1 }] } } as Parameters<typeof decide>[1];
}

function runAfter(commands: Parameters<typeof decide>[1][]): RunState {
  return commands.reduce((state, command) => decide(state, command).state, initialRunState());
}

const models: Model[] = [
  { name: "plan", machine: planMachine, events: planEvents },
  {
    name: "task",
    machine: taskMachine,
    // A rerun's task that may take over its source's result (issue 22), so that `reused` is reached too.
    input: { task: { id: OWN, depends_on: [], idempotent: true }, reusable: true },
    events: taskEvents,
    // An attempt commits and merges only in a worktree of its own: the isolated model walks it.
    unreachable: ["merging"],
    prefix: () => ({ state: runAfter([rerunOf(single), approve(1, []), ...BOOTSTRAP]), entity: `task:${OWN}` }),
  },
  {
    name: "isolated task",
    machine: taskMachine,
    input: { task: { id: OWN, depends_on: [], idempotent: true }, isolation: "worktree" },
    events: taskEvents,
    // The worktree's phase decides what may follow in running, merging and classifying.
    serialize: (snapshot) => `${byValue(snapshot)}|${(snapshot.context.worktree as { phase: string } | null)?.phase ?? "-"}`,
    // Only a rerun's task takes over a result (the task model walks it); this one runs.
    unreachable: ["reused"],
    prefix: () => ({ state: runAfter([create(isolatedPlan), approve(1, []), ...BOOTSTRAP]), entity: `task:${OWN}` }),
  },
  {
    name: "worker",
    machine: workerMachine,
    input: { worker_id: `${OWN}#1`, task_id: OWN, attempt: 1, cwd: "/w/app" },
    events: workerEvents,
    prefix: () => {
      const state = runAfter([create(single), approve(1, []), ...BOOTSTRAP, scheduleReady]);
      const started = decide(state, { type: "StartAttempt", at: AT, task_id: OWN, cwd: "/w/app" });
      // The path begins right after WORKER_SPAWNING: drop the trust event the command adds.
      const spawned = runAfterEvents(state, started.events.slice(0, 2));
      return { state: spawned, entity: `worker:${OWN}#1` };
    },
  },
  {
    // Many workers (peh worker on a shared store): the attempt claimed by its holder, and ended
    // by its lease expiring only as that holder's claim.
    name: "claimed worker",
    machine: workerMachine,
    input: { worker_id: `${OWN}#1`, task_id: OWN, attempt: 1, cwd: "/w/app" },
    events: () => [...workerEvents(), ...claimEvents()],
    serialize: (snapshot) => `${byValue(snapshot)}|${snapshot.context.holder ?? "-"}`,
    prefix: () => {
      const state = runAfter([create(single), approve(1, []), ...BOOTSTRAP, scheduleReady]);
      const started = decide(state, { type: "StartAttempt", at: AT, task_id: OWN, cwd: "/w/app" });
      return { state: runAfterEvents(state, started.events.slice(0, 2)), entity: `worker:${OWN}#1` };
    },
  },
  {
    name: "bootstrap",
    machine: bootstrapMachine,
    events: bootstrapEvents,
    prefix: () => ({ state: runAfter([create(single), approve(1, [])]), entity: "bootstrap" }),
  },
];

function runAfterEvents(state: RunState, events: readonly PehEvent[]): RunState {
  for (const event of events) {
    expect(whyIllegal(state, event)).toBeUndefined();
    evolve(state, event);
  }
  return state;
}

/** Gives a sample event the run's envelope: its next seq and this run. */
function sequenced(event: PehEvent, state: RunState): PehEvent {
  const input: PehEventInput = { ...event, run_id: RUN, seq: state.seq + 1, id: `${RUN}.${state.seq + 1}` };
  return input as PehEvent;
}

describe.each(models)("$name machine › shortest paths", (model) => {
  const paths = getShortestPaths(model.machine, {
    input: model.input,
    events: model.events as never,
    serializeState: (model.serialize ?? byValue) as never,
  });

  it("reaches every state of the machine", () => {
    const reached = new Set(paths.map((path) => byValue(path.state)));
    const leaves = getStateNodes(model.machine)
      .filter((node) => Object.keys(node.states).length === 0)
      .map((node) => node.path.join("."))
      .filter((name) => !model.unreachable?.includes(name));
    expect([...reached].sort()).toEqual(leaves.sort());
  });

  it.each(paths.map((path) => [(model.serialize ?? byValue)(path.state), path] as const))("replays to %s through the machine, every step legal", (_, path) => {
    let snapshot = initialTransition(model.machine, model.input)[0] as AnyMachineSnapshot;
    for (const step of stepsOf(path.steps)) {
      expect(snapshot.can(step.event), `${step.event.type} in ${byValue(snapshot)}`).toBe(true);
      snapshot = transition(model.machine, snapshot, step.event)[0] as AnyMachineSnapshot;
    }
    expect(byValue(snapshot)).toBe(byValue(path.state));
  });

  if (model.prefix) {
    const prefix = model.prefix;
    it.each(paths.map((path) => [(model.serialize ?? byValue)(path.state), path] as const))("replays to %s through the run aggregate", (_, path) => {
      const { state, entity } = prefix();
      for (const step of stepsOf(path.steps)) {
        const event = sequenced(step.event as PehEvent, state);
        expect(whyIllegal(state, event), `${event.type} refused`).toBeUndefined();
        evolve(state, event);
      }
      expect(entityState(state, entity)).toBe(byValue(path.state));
    });
  }
});

/**
 * Steps that leave a machine in the state it was in (so no shortest path needs them), walked as
 * named paths, the same two ways: each step legal for the machine and for the run aggregate.
 */
describe("task machine › paths through steps that keep its state", () => {
  const task = models.find((model) => model.name === "task")!;
  const due = "2026-01-16T14:23:45.000Z";
  const failedOnce = [
    ev("TASK_READY", { task_id: OWN }),
    ev("TASK_STARTED", { task_id: OWN, attempt: 1, worker_id: `${OWN}#1` }),
    ev("TASK_FAILED", { task_id: OWN, attempt: 1, stage: "run", error: { code: "EXIT", message: "exit 1" }, exit_code: 1 }),
    ev("FAILURE_CLASSIFIED", { task_id: OWN, attempt: 1, class: "transient", rule: "http", evidence: "HTTP 503" }),
    ev("RECOVERY_ATTEMPTED", { task_id: OWN, next_attempt: 2, delay_ms: 86_400_000, due_at: due }),
  ];
  /** Attempt `n` rate limited (its stream gave the reset), and its retry scheduled for then. */
  const rateLimited = (n: number) => [
    ev("TASK_STARTED", { task_id: OWN, attempt: n, worker_id: `${OWN}#${n}` }),
    ev("TASK_FAILED", { task_id: OWN, attempt: n, stage: "run", error: { code: "AGENT_RATE_LIMIT", message: "rate limited" }, exit_code: 1 }),
    ev("FAILURE_CLASSIFIED", { task_id: OWN, attempt: n, class: "transient", rule: "claude: rate limit", evidence: "429", rate_limit: { reset_at: due } }),
    ev("RECOVERY_ATTEMPTED", { task_id: OWN, next_attempt: n + 1, delay_ms: 1000, due_at: due }),
  ];
  const paths: [string, PehEvent[], string][] = [
    // The default policy retries a transient failure twice: a rate limit is counted once, so a
    // third (and a fourth) wait for its reset is still an automatic retry.
    ["rate limited four times under a budget of two transient retries, then the fifth attempt", [ev("TASK_READY", { task_id: OWN }), ...[1, 2, 3, 4].flatMap(rateLimited), ev("TASK_STARTED", { task_id: OWN, attempt: 5, worker_id: `${OWN}#5` })], "running"],
    ["a human's run-now for a retry that waits a day, then the retry", [...failedOnce, ev("RECOVERY_EXPEDITED", { task_id: OWN, next_attempt: 2, waived_due_at: due }), ev("TASK_STARTED", { task_id: OWN, attempt: 2, worker_id: `${OWN}#2` })], "running"],
  ];

  it.each(paths)("%s: through the machine and the run aggregate", (_, events, to) => {
    let snapshot = initialTransition(task.machine, task.input)[0] as AnyMachineSnapshot;
    const { state, entity } = task.prefix!();
    for (const step of events) {
      expect(snapshot.can(step), `${step.type} in ${byValue(snapshot)}`).toBe(true);
      snapshot = transition(task.machine, snapshot, step)[0] as AnyMachineSnapshot;
      const event = sequenced(step, state);
      expect(whyIllegal(state, event), `${event.type} refused`).toBeUndefined();
      evolve(state, event);
    }
    expect(byValue(snapshot)).toBe(to);
    expect(entityState(state, entity)).toBe(to);
  });
});

/**
 * A change mid-run keeps the plan where it is, so no shortest path takes one: the paths that
 * widen a grant are walked by name, through the plan machine and the run aggregate alike. A
 * widening without the task's phrase is refused by both; with it, both take it.
 */
describe("plan machine › paths through changes mid-run that widen a grant", () => {
  const fetching = (grants: { network?: boolean; writable?: string[] }) =>
    planFile({ objective: "Fetch once", tasks: [{ id: OWN, objective: "Download the fixtures", scope: "workspace", run: "true", acceptance_tests: ["true"], ...grants }] });
  /** The run approved with its network granted and executing, and the plan's events on the way. */
  const prefix = () => {
    let state = initialRunState();
    const log: PehEvent[] = [];
    for (const command of [create(fetching({ network: true })), approve(1, [OWN]), ...BOOTSTRAP]) {
      const decided = decide(state, command);
      state = decided.state;
      log.push(...decided.events.filter((event) => event.entity === "plan" || event.entity === "bootstrap"));
    }
    return { state, log };
  };
  const changed = (grants: { network?: boolean; writable?: string[] }, confirmations: { task_id: string; phrase: string; grants?: object }[]) =>
    ev("PLAN_CHANGED", { plan: { ...fetching(grants), version: 2 }, change: "widen", settled: [], confirmations });
  const paths: [string, PehEvent, boolean][] = [
    ["a new writable path without the phrase", changed({ network: true, writable: ["/srv/cache"] }, []), false],
    ["a new writable path with the phrase, for those grants", changed({ network: true, writable: ["/srv/cache"] }, [{ task_id: OWN, phrase: OWN, grants: { network: true, writable: ["/srv/cache"] } }]), true],
    ["the phrase, for other grants than the change shows", changed({ network: true, writable: ["/srv/cache"] }, [{ task_id: OWN, phrase: OWN, grants: { network: true } }]), false],
    ["a narrower grant, without the phrase", changed({}, []), true],
  ];

  it.each(paths)("%s: the same verdict from the machine and the run aggregate", (_, change, legal) => {
    const { state, log } = prefix();
    expect(entityState(state, "plan")).toBe("executing");
    let snapshot = initialTransition(planMachine)[0] as AnyMachineSnapshot;
    for (const event of log) snapshot = transition(planMachine, snapshot, event)[0] as AnyMachineSnapshot;
    expect(byValue(snapshot)).toBe("executing");
    expect(snapshot.can(change)).toBe(legal);
    const event = sequenced(change, state);
    expect(whyIllegal(state, event) === undefined).toBe(legal);
    if (!legal) return;
    evolve(state, event);
    expect(entityState(state, "plan")).toBe("executing");
    expect(state.plan.context.granted).toEqual(transition(planMachine, snapshot, change)[0].context.granted);
  });
});

describe("worker machine › simple paths", () => {
  it("never passes ready_for_prompt on a path without trust_resolved", () => {
    const paths = getSimplePaths(workerMachine, {
      input: { worker_id: WorkerIdSchema.parse(`${OWN}#1`), task_id: OWN as TaskId, attempt: 1, cwd: "/w/app" },
      events: workerEvents() as never,
      serializeState: byValue as never,
    });
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths) {
      const states = stepsOf(path.steps).map((step) => byValue(step.state));
      const ready = states.indexOf("ready_for_prompt");
      if (ready !== -1) expect(states.slice(0, ready)).toContain("trust_resolved");
    }
  });
});
