// `peh decide [RUN] --task ID retry|skip|abort --as NAME` and `peh trust [RUN] (--task ID | --root DIR) --as NAME`:
// the human answers to a run that waits; both work from another terminal while `peh run --wait` waits.
import type { Command } from "commander";
import { PehError, type EventStore, type RunId } from "../../events/index.js";
import { plural } from "../../projections/text/words.js";
import { decideTask, trustRoot, trustTask } from "../../runtime/gate/human-answers.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { actorOf, storeOf } from "../context.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import { localTime } from "../time.js";
import { paint, printJson, type Io } from "../output.js";
import { livenessOf } from "../../runtime/execution/lease.js";
import { placeOf } from "../../runtime/store/place.js";

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
    .argument("<args...>", `[run] retry|skip|abort (run: ${RUN_ARGUMENT})`)
    .requiredOption("--task <id>", "the task that waits")
    .option("--as <name>", "who decides (recorded in the log)")
    .option("--json", "machine output: {run_id, task_id, decision, actor, next}")
    .addHelpText("after", "\nExamples:\n  peh decide --task test retry --as ana\n  peh decide r-20260115-142345-ab12 --task deploy abort --as ana")
    .action(async (args: string[], options: { task: string; as?: string; json?: boolean }, command: Command) => {
      const decision = args.at(-1);
      const runArg = args.length === 2 ? args[0] : undefined;
      if (args.length > 2 || (decision !== "retry" && decision !== "skip" && decision !== "abort")) {
        throw new PehError("USAGE", `peh decide takes [run] and one of retry, skip, abort; got "${args.join(" ")}"`, "peh decide --task test retry --as ana");
      }
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const actor = await actorOf(options.as, "decides");
      const decided = await decideTask(store, runId, { actor, task: options.task, decision });
      const next = await nextStep(store, runId, "decision");
      if (options.json) return printJson(io, { run_id: runId, task_id: options.task, decision, actor, next });
      const p = paint(io);
      const expedited = decided.find((event) => event.type === "RECOVERY_EXPEDITED");
      const done = expedited?.type === "RECOVERY_EXPEDITED"
        ? `${options.task}'s scheduled retry runs now, not at ${localTime(expedited.data.waived_due_at)} (decided by ${actor}); a peh run that is running ${runId} starts it at once`
        : `${decision} for ${options.task} in ${runId}, decided by ${actor}`;
      io.out(`${p.green("✓")} ${done}\n${p.bold("Next:")} ${next}`);
    });
}

export function trustCommand(program: Command, io: Io): void {
  program
    .command("trust")
    .summary("resolve a worker's trust gate")
    .description(
      "Trust a task's worker that waits at trust_required (--task), or trust a directory (--root): recorded in the " +
        "run for every waiting worker inside it and added to your config file for next time (edited in place: its " +
        "comments and other keys stay). A plan can never grant trust, and trust.deny in your config always wins: " +
        "a denied directory is refused for --root and for --task alike.",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--task <id>", "trust this task's current worker")
    .option("--root <dir>", "trust this directory from now on")
    .option("--as <name>", "who trusts (recorded in the log)")
    .option("--json", "machine output: {run_id, actor, task_id or root, resolved (the workers trusted), next}")
    .action(async (runArg: string | undefined, options: { task?: string; root?: string; as?: string; json?: boolean }, command: Command) => {
      if ((options.task === undefined) === (options.root === undefined)) {
        throw new PehError("USAGE", "give exactly one of --task ID or --root DIR", "peh trust --task build --as ana");
      }
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const actor = await actorOf(options.as, "trusts");
      const p = paint(io);
      if (options.task !== undefined) {
        const worker_id = await trustTask(store, runId, { actor, task: options.task });
        const next = await nextStep(store, runId, "trust");
        if (options.json) return printJson(io, { run_id: runId, actor, task_id: options.task, resolved: [worker_id], next });
        io.out(`${p.green("✓")} trusted ${worker_id} (by ${actor})\n${p.bold("Next:")} ${next}`);
        return;
      }
      const { root, resolved } = await trustRoot(store, runId, { actor, root: options.root! });
      const next = await nextStep(store, runId, "trust");
      if (options.json) return printJson(io, { run_id: runId, actor, root, resolved, next });
      io.out(`${p.green("✓")} trusted ${root} (by ${actor}; saved in your config); ${plural(resolved.length, "waiting worker")} resolved\n${p.bold("Next:")} ${next}`);
    });
}

/**
 * What to do once a decision or trust is recorded: resume the run, unless a live `peh run` (one
 * waiting with --wait, or still running other tasks) holds it and will pick it up by itself.
 */
async function nextStep(store: EventStore, runId: RunId, what: "decision" | "trust"): Promise<string> {
  const { holder, alive } = await livenessOf(placeOf(store).leases, runId);
  if (!holder || !alive) return `peh run ${runId}`;
  return `nothing: the peh run that holds ${runId} (pid ${holder.pid} on host ${holder.host}) will pick the ${what} up`;
}
