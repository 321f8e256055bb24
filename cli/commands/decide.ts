// `peh decide [RUN] --task ID retry|skip|abort --as NAME` and `peh trust [RUN] (--task ID | --root DIR) --as NAME`:
// the human answers to a run that waits; both work from another terminal while `peh run --wait` waits.
import type { Command } from "commander";
import { isPehError, PehError, workerIdFor, type TaskId } from "../../events/index.js";
import { stateName } from "../../machines/state-name.js";
import { clockTime } from "../../projections/log-view.js";
import { awaitedOf } from "../../projections/status.js";
import { RunHandle } from "../../runtime/command-handler.js";
import { whyNotADirectory } from "../../runtime/directory.js";
import { resolveRunId } from "../../runtime/run-id.js";
import { addTrustedRoot, canonicalize, trustedRootFor } from "../../runtime/execution/trust.js";
import { actorOf, storeOf } from "../context.js";
import { paint, type Io } from "../output.js";
import { now } from "../../runtime/execution/clock.js";

export function decideCommand(program: Command, io: Io): void {
  program
    .command("decide")
    .summary("answer an escalation: retry, skip or abort")
    .description(
      "Answer a failed task that waits for a human: retry (a fresh attempt), skip (the task is skipped and its " +
        "dependents proceed) or abort (the run ends; dependents become upstream_failed). Recorded with who decided. " +
        "For a task whose automatic retry waits for its due time (a long Retry-After), retry runs it now " +
        "(RECOVERY_EXPEDITED); a `peh run` that is running the run starts it at once.",
    )
    // [run] before a required argument: commander would take a lone decision for the run id.
    .argument("<args...>", "[run] retry|skip|abort")
    .requiredOption("--task <id>", "the task that waits")
    .option("--as <name>", "who decides (recorded in the log)")
    .addHelpText("after", "\nExamples:\n  peh decide --task test retry --as ana\n  peh decide r-20260115-142345-ab12 --task deploy abort --as ana")
    .action(async (args: string[], options: { task: string; as?: string }, command: Command) => {
      const decision = args.at(-1);
      const runArg = args.length === 2 ? args[0] : undefined;
      if (args.length > 2 || (decision !== "retry" && decision !== "skip" && decision !== "abort")) {
        throw new PehError("USAGE", `peh decide takes [run] and one of retry, skip, abort; got "${args.join(" ")}"`, "peh decide --task test retry --as ana");
      }
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const actor = await actorOf(options.as, "decides");
      const run = await RunHandle.open(store, runId);
      const decided = await run.handle({ type: "RecordDecision", at: now(), actor, task_id: options.task, decision }).catch((error: unknown) => {
        if (!isPehError(error, "ILLEGAL_TRANSITION")) throw error;
        // The machine refused; the run's projection says which tasks a decision would answer.
        const waiting = awaitedOf(run.state).flatMap((awaited) => (awaited.kind === "decision" || awaited.kind === "permission" ? [awaited.task_id] : []));
        const hint = waiting.length > 0 ? `tasks waiting for a decision: ${waiting.join(", ")}` : (error.hint ?? `no task of ${runId} waits for a decision: \`peh status ${runId}\` shows where it is`);
        throw new PehError(error.code, error.message, hint, error.details);
      });
      const p = paint(io);
      const expedited = decided.events.find((event) => event.type === "RECOVERY_EXPEDITED");
      const done = expedited?.type === "RECOVERY_EXPEDITED"
        ? `${options.task}'s scheduled retry runs now, not at ${clockTime(expedited.data.waived_due_at)} (decided by ${actor}); a peh run that is running ${runId} starts it at once`
        : `${decision} for ${options.task} in ${runId}, decided by ${actor}`;
      io.out(`${p.green("✓")} ${done}\n${p.bold("Next:")} peh run ${runId}`);
    });
}

export function trustCommand(program: Command, io: Io): void {
  program
    .command("trust")
    .summary("resolve a worker's trust gate")
    .description(
      "Trust a task's worker that waits at trust_required (--task), or trust a directory (--root): recorded in the " +
        "run for every waiting worker inside it and added to your config file for next time. A plan can never grant trust.",
    )
    .argument("[run]", "run id (default: the most recent)")
    .option("--task <id>", "trust this task's current worker")
    .option("--root <dir>", "trust this directory from now on")
    .option("--as <name>", "who trusts (recorded in the log)")
    .action(async (runArg: string | undefined, options: { task?: string; root?: string; as?: string }, command: Command) => {
      if ((options.task === undefined) === (options.root === undefined)) {
        throw new PehError("USAGE", "give exactly one of --task ID or --root DIR", "peh trust --task build --as ana");
      }
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const actor = await actorOf(options.as, "trusts");
      const run = await RunHandle.open(store, runId);
      const waiting = [...run.state.workers].filter(([, cell]) => stateName(cell.value) === "trust_required");
      const p = paint(io);
      if (options.task !== undefined) {
        const attempt = run.state.tasks.get(options.task as TaskId)?.context.attempt ?? 0;
        const worker_id = workerIdFor(options.task as TaskId, attempt);
        if (!waiting.some(([id]) => id === worker_id)) {
          throw new PehError("USAGE", `task ${options.task} has no worker waiting for trust`, `workers waiting: ${waiting.map(([id]) => id).join(", ") || "none"}`);
        }
        await run.handle({ type: "ResolveTrust", at: now(), actor, worker_id, resolution: { source: "manual", by: actor } });
        io.out(`${p.green("✓")} trusted ${worker_id} (by ${actor})\n${p.bold("Next:")} peh run ${runId}`);
        return;
      }
      const root = canonicalize(options.root!);
      // Saved for every later run: a root that does not exist yet is most likely a typo, and
      // would trust whoever makes that path later.
      const notADirectory = whyNotADirectory(root);
      if (notADirectory) {
        throw new PehError("USAGE", `${root} ${notADirectory}: peh trusts only a directory that exists`, "check the path given to --root, or make the directory first");
      }
      await addTrustedRoot(root);
      let resolved = 0;
      for (const [worker_id, cell] of waiting) {
        if (!trustedRootFor({ roots: [root], deny: [] }, cell.context.cwd)) continue;
        await run.handle({ type: "ResolveTrust", at: now(), actor, worker_id, resolution: { source: "allowlist", root } });
        resolved++;
      }
      io.out(`${p.green("✓")} trusted ${root} (by ${actor}; saved in your config); ${resolved} waiting worker${resolved === 1 ? "" : "s"} resolved\n${p.bold("Next:")} peh run ${runId}`);
    });
}
