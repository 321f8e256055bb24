// The gate actions: approve, modify, refine, clarify, reject. Each records one event with the
// human who acted, or is refused (exit 2) with what was wrong and what to do instead.
import type { Command } from "commander";
import { PehError, type RunId } from "../../events/index.js";
import { mayHandle } from "../../machines/memo/lite.js";
import { grantedWords } from "../../machines/grants.js";
import { planMachine } from "../../machines/plan.js";
import type { RunState } from "../../machines/fold/run.js";
import { stateName } from "../../machines/fold/state-name.js";
import { RunHandle } from "../../runtime/command-handler.js";
import {
  answerRun,
  approveRun,
  clarifyRun,
  modifyRun,
  nextStep,
  refineRun,
  rejectRun,
  type Modification,
  type RefinedRun,
} from "../../runtime/gate/gate.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { actorOf, askPhrases, collect, interactive, PLANNER_TIMEOUT, plannerTimeoutMs, storeOf } from "../context.js";
import { paint, printJson, type Io } from "../output.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import { renderPlan } from "../render/plan-view.js";

/** `more`: what a command adds to its --json document, and the lines it adds below its ✓ line. */
function report(io: Io, json: boolean | undefined, runId: RunId, state: RunState, done: string, more: { json?: Record<string, unknown>; lines?: string[] } = {}): void {
  const next = nextStep(runId, state);
  if (json) {
    printJson(io, {
      run_id: runId,
      state: stateName(state.plan.value),
      version: state.plan_spec?.version ?? null,
      approved_version: state.plan.context.approved_version,
      next: next ?? null,
      ...more.json,
    });
    return;
  }
  const p = paint(io);
  io.out([`${p.green("✓")} ${done}`, ...(more.lines ?? []), ...(next ? [`${p.bold("Next:")} ${next}`] : [])].join("\n"));
}

const runArgument = RUN_ARGUMENT;

export function approveCommand(program: Command, io: Io): void {
  program
    .command("approve")
    .summary("approve the plan version you reviewed (risky tasks need their phrases)")
    .description(
      "Approve a version of a run's plan: the one you reviewed. Every risky task needs its confirmation phrase, " +
        "typed exactly (--confirm, once per risky task); a generic yes never approves a risky task. A task that asks " +
        "for a grant (network: true, writable paths, sandbox: off) is risky, and its phrase grants exactly what " +
        "the reviewed version shows for it, nothing more. On a terminal " +
        "without --confirm, peh shows the plan and asks for each phrase, and approves the version it showed.\n\n" +
        "An approval is of the version its actor saw. Without --version, peh approves only the plan as created " +
        "(version 1); once the plan was modified, --version N is required (peh show prints the current version, " +
        "and every Next: line the exact command). If the plan changes while you approve, nothing is approved " +
        "and peh says which version to review (exit 4).",
    )
    .argument("[run]", runArgument)
    .option("--as <name>", "who approves (recorded in the log)")
    .option("--confirm <phrase>", "the phrase of a risky task (repeat for each)", collect, [])
    .option("--version <n>", "the plan version you reviewed (required once the plan was modified; refused if the plan changed since)")
    .option("--json", "machine output")
    .addHelpText("after", '\nExamples:\n  peh approve --as ana --confirm "deploy 2.4.1 to production"\n  peh approve --version 2 --as ana --confirm "deploy 2.4.1 to production"   (after a modification)')
    .action(async (runArg: string | undefined, options: { as?: string; confirm: string[]; version?: string; json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      let version = versionOf(options.version);
      const actor = await actorOf(options.as, "approves");
      const confirmations = [...options.confirm];
      const state = (await RunHandle.open(store, runId)).state;
      const shown = state.plan_spec;
      if (confirmations.length === 0 && interactive() && shown && stateName(state.plan.value) === "awaiting_approval" && (version === undefined || version === shown.version)) {
        io.out([`${paint(io).bold("Run")} ${runId} · plan version ${shown.version}`, ...renderPlan(io, shown)].join("\n"));
        confirmations.push(...(await askPhrases(shown)));
        // What the actor saw: a modification while the prompt was up is refused, never approved.
        version = shown.version;
      }
      const after = await approveRun(store, runId, { actor, confirmations, ...(version === undefined ? {} : { version }) });
      // What the approval granted: each risky task confirmed, with the rights its phrase grants.
      const confirmed = after.plan.context.granted.map((r) => (r.grants ? `${r.task_id}: ${grantedWords(r.grants)}` : r.task_id));
      report(io, options.json, runId, after, `approved version ${after.plan.context.approved_version} of ${runId} as ${actor}${confirmed.length ? ` (confirmed ${confirmed.join("; ")})` : ""}`, {
        json: { granted: after.plan.context.granted },
      });
    });
}

/** `--version N` as the plan version reviewed, or a usage error. */
function versionOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const version = Number(text);
  if (!Number.isInteger(version) || version < 1) {
    throw new PehError("USAGE", `--version wants the plan version you reviewed (1, 2, …), not "${text}"`, "peh show prints the current version");
  }
  return version;
}

export function modifyCommand(program: Command, io: Io): void {
  program
    .command("modify")
    .summary("make a new plan version (needs approval again)")
    .description(
      "Make a new version of the plan: replace it from a file, skip (remove) a task, or move a task before or " +
        "after another (which makes it depend on, or be depended on by, that task). The new version is " +
        "validated like a new plan and needs its own approval.\n\n" +
        "While the run executes (or waits for a decision), a change is applied at once and logged as " +
        "PLAN_CHANGED: it needs --confirm-change, the phrase of every risky task it adds and of every task whose " +
        "grants it adds to or widens (network turned on, a new writable path, sandbox: off; --confirm), and it " +
        "may only add tasks, drop tasks that have not started, and alter those that have not started or that failed " +
        "and wait (a decision or a retry; the next attempt runs the new definition). A running `peh run` picks it up.",
    )
    .argument("[run]", runArgument)
    .option("--from <file>", "replace the plan with this file")
    .option("--skip <id>", "remove a task; its dependents inherit its dependencies")
    .option("--move <id>", "move a task; with --after ID or --before ID")
    .option("--after <id>", "with --move: run after this task")
    .option("--before <id>", "with --move: run before this task")
    .option("--as <name>", "who modifies (recorded in the log)")
    .option("--strict", "treat plan warnings as errors")
    .option("--confirm-change", "apply the change to a run that is executing (logged as PLAN_CHANGED)")
    .option("--confirm <phrase>", "with --confirm-change: the phrase of a risky task the change adds (repeat)", collect, [])
    .option("--json", "machine output")
    .addHelpText("after", "\nExamples:\n  peh modify --skip lint --as ana\n  peh modify --from plan.yaml --confirm-change --as ana   (while the run executes)")
    .action(
      async (
        runArg: string | undefined,
        options: { from?: string; skip?: string; move?: string; after?: string; before?: string; as?: string; strict?: boolean; confirmChange?: boolean; confirm: string[]; json?: boolean },
        command: Command,
      ) => {
        const modification = modificationOf(options);
        const store = storeOf(command);
        const runId = await resolveRunId(store, runArg);
        const actor = await actorOf(options.as, "modifies the plan");
        const after = await modifyRun(store, runId, { actor, modification, strict: options.strict, confirmChange: options.confirmChange, confirmations: options.confirm });
        const done = mayHandle(planMachine, after.plan.value, "PLAN_CHANGED")
          ? `changed ${runId}'s plan to version ${after.plan_spec?.version} while it runs (PLAN_CHANGED)`
          : `made version ${after.plan_spec?.version} of ${runId}'s plan; it needs approval`;
        report(io, options.json, runId, after, done);
      },
    );
}

export function modificationOf(options: { from?: string; skip?: string; move?: string; after?: string; before?: string }): Modification {
  const chosen = [options.from, options.skip, options.move].filter((value) => value !== undefined).length;
  if (chosen !== 1) {
    throw new PehError("USAGE", "say exactly one change: --from FILE, --skip ID, or --move ID (--after ID | --before ID)", "peh modify --skip lint --as ana");
  }
  if (options.from !== undefined) return { kind: "file", from: options.from };
  if (options.skip !== undefined) return { kind: "skip", id: options.skip };
  if ((options.after === undefined) === (options.before === undefined)) {
    throw new PehError("USAGE", "--move needs exactly one of --after ID or --before ID", `peh modify --move ${options.move} --after build --as ana`);
  }
  return options.after !== undefined
    ? { kind: "move", id: options.move!, where: "after", other: options.after }
    : { kind: "move", id: options.move!, where: "before", other: options.before! };
}

export function refineCommand(program: Command, io: Io): void {
  program
    .command("refine")
    .summary("ask the planner for a new version from feedback")
    .description(
      'Ask the run\'s planner for a new plan version. The built-in planner understands "skip ID", ' +
        '"move ID before|after ID" and "add OBJECTIVE [after ID]", separated by ";". peh says clause by clause ' +
        "what was applied and what was not, and why (--json: applied, not_applied); feedback none of which " +
        "applies makes no version. An external planner gets the feedback as is and does not say what it applied.",
    )
    .argument("[run]", runArgument)
    .requiredOption("--feedback <text>", "what to change")
    .option("--as <name>", "who asks (recorded in the log)")
    .option(PLANNER_TIMEOUT.flags, PLANNER_TIMEOUT.description, PLANNER_TIMEOUT.default)
    .option("--json", "machine output")
    .action(async (runArg: string | undefined, options: { feedback: string; as?: string; plannerTimeout: string; json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const actor = await actorOf(options.as, "refines the plan");
      const refined = await refineRun(store, runId, { actor, feedback: options.feedback, plannerTimeoutMs: plannerTimeoutMs(options.plannerTimeout) });
      const after = refined.state;
      report(io, options.json, runId, after, `made version ${after.plan_spec?.version} of ${runId}'s plan from the feedback; it needs approval`, {
        json: { applied: refined.applied, not_applied: refined.not_applied },
        lines: refinedLines(io, runId, refined),
      });
    });
}

/** Clause by clause: what the planner applied, and what it did not, with why. */
function refinedLines(io: Io, runId: RunId, refined: RefinedRun): string[] {
  const p = paint(io);
  if (refined.applied === null || refined.not_applied === null) return [`  the planner does not say what it applied: review version ${refined.state.plan_spec?.version} (peh show ${runId})`];
  return [
    ...refined.applied.map((clause) => `  ${p.green("applied:")} ${clause}`),
    ...refined.not_applied.map((clause) => `  ${p.yellow("not applied:")} ${clause}`),
    ...(refined.not_applied.length > 0 && refined.hint ? [`  (${refined.hint})`] : []),
  ];
}

export function clarifyCommand(program: Command, io: Io): void {
  program
    .command("clarify")
    .summary("ask a question about the plan, or answer one")
    .description("Ask a question before approving (--question): the plan waits for an answer (--answer) or a modification.")
    .argument("[run]", runArgument)
    .option("--question <text>", "the question")
    .option("--answer <text>", "the answer to the open question; the plan awaits approval again")
    .option("--as <name>", "who asks or answers (recorded in the log)")
    .option("--json", "machine output")
    .action(async (runArg: string | undefined, options: { question?: string; answer?: string; as?: string; json?: boolean }, command: Command) => {
      if ((options.question === undefined) === (options.answer === undefined)) {
        throw new PehError("USAGE", "give exactly one of --question TEXT or --answer TEXT", 'peh clarify --question "which region?" --as ana');
      }
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const actor = await actorOf(options.as, options.question !== undefined ? "asks" : "answers");
      const after =
        options.question !== undefined
          ? await clarifyRun(store, runId, { actor, question: options.question })
          : await answerRun(store, runId, { actor, answer: options.answer! });
      report(io, options.json, runId, after, options.question !== undefined ? `asked on ${runId}: ${options.question}` : `answered on ${runId}; the plan awaits approval`);
    });
}

export function rejectCommand(program: Command, io: Io): void {
  program
    .command("reject")
    .summary("reject the plan")
    .description("Reject the plan: the run ends without running anything. --reason is required: the log records why.")
    .addHelpText("after", '\nExample:\n  peh reject --reason "not this week" --as bo')
    .argument("[run]", runArgument)
    .requiredOption("--reason <text>", "why the plan is rejected, recorded in the log")
    .option("--as <name>", "who rejects (recorded in the log)")
    .option("--json", "machine output")
    .action(async (runArg: string | undefined, options: { reason: string; as?: string; json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const actor = await actorOf(options.as, "rejects the plan");
      const after = await rejectRun(store, runId, { actor, reason: options.reason });
      report(io, options.json, runId, after, `rejected ${runId}'s plan as ${actor}: ${options.reason}`);
    });
}

