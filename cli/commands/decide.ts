// `peh decide [RUN] --task ID retry|skip|abort --as NAME` and `peh trust [RUN] (--task ID | --root DIR) --as NAME`:
// the human answers to a run that waits; both work from another terminal while `peh run --wait` waits.
import type { Command } from "commander";
import { isPehError, PehError, workerIdFor, type EventStore, type RunId, type TaskId } from "../../events/index.js";
import { stateName } from "../../machines/state-name.js";
import { awaitedOf } from "../../projections/status.js";
import { plural, stateWords } from "../../projections/words.js";
import { RunHandle } from "../../runtime/command-handler.js";
import { whyNotADirectory } from "../../runtime/directory.js";
import { resolveRunId } from "../../runtime/run-id.js";
import { standingOf } from "../../runtime/gate-refusals.js";
import { addTrustedRoot, canonicalize, deniedBy, trustPolicy, trustedRootFor, untrustedReason } from "../../runtime/execution/trust.js";
import { actorOf, storeOf } from "../context.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import { localTime } from "../time.js";
import { paint, printJson, type Io } from "../output.js";
import { now } from "../../runtime/execution/clock.js";
import { livenessOf } from "../../runtime/execution/lease.js";
import { placeOf } from "../../runtime/store-place.js";

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
      const run = await RunHandle.open(store, runId);
      const decided = await run.handle({ type: "RecordDecision", at: now(), actor, task_id: options.task, decision }).catch((error: unknown) => {
        if (!isPehError(error, "ILLEGAL_TRANSITION")) throw error;
        // The machine refused; the run's projection says which tasks a decision would answer.
        const waiting = awaitedOf(run.state).flatMap((awaited) => (awaited.kind === "decision" || awaited.kind === "permission" ? [awaited.task_id] : []));
        const hint = waiting.length > 0 ? `tasks waiting for a decision: ${waiting.join(", ")}` : (error.hint ?? `no task of ${runId} waits for a decision: \`peh status ${runId}\` shows where it is`);
        // In plain words, by where the task stands; the machine's own message stays in the details.
        const cell = run.state.tasks.get(options.task as TaskId);
        const standing = cell ? `task ${options.task} is ${stateWords(stateName(cell.value))}, not waiting for a decision` : error.message;
        throw new PehError(error.code, `\`peh decide --task ${options.task} ${decision}\` refused: ${standing} (${standingOf(run.state)})`, hint, { machine: error.message, details: error.details });
      });
      const next = await nextStep(store, runId, "decision");
      if (options.json) return printJson(io, { run_id: runId, task_id: options.task, decision, actor, next });
      const p = paint(io);
      const expedited = decided.events.find((event) => event.type === "RECOVERY_EXPEDITED");
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
      const run = await RunHandle.open(store, runId);
      const waiting = [...run.state.workers].filter(([, cell]) => stateName(cell.value) === "trust_required");
      const p = paint(io);
      if (options.task !== undefined) {
        const attempt = run.state.tasks.get(options.task as TaskId)?.context.attempt ?? 0;
        const worker_id = workerIdFor(options.task as TaskId, attempt);
        const cell = waiting.find(([id]) => id === worker_id)?.[1];
        if (!cell) {
          throw new PehError("USAGE", `task ${options.task} has no worker waiting for trust`, `workers waiting: ${waiting.map(([id]) => id).join(", ") || "none"}`);
        }
        // The deny list wins over every grant, a human's for one worker too.
        const policy = await trustPolicy();
        const denied = deniedBy(policy, cell.context.cwd);
        if (denied !== undefined) {
          throw new PehError(
            "USAGE",
            `task ${options.task} runs in ${cell.context.cwd}, which is ${untrustedReason(policy, cell.context.cwd)}; nothing was trusted`,
            `if you mean to trust it, remove ${denied} from trust.deny in ${policy.config} first`,
          );
        }
        await run.handle({ type: "ResolveTrust", at: now(), actor, worker_id, resolution: { source: "manual", by: actor } });
        const next = await nextStep(store, runId, "trust");
        if (options.json) return printJson(io, { run_id: runId, actor, task_id: options.task, resolved: [worker_id], next });
        io.out(`${p.green("✓")} trusted ${worker_id} (by ${actor})\n${p.bold("Next:")} ${next}`);
        return;
      }
      const root = canonicalize(options.root!);
      // Saved for every later run: a root that does not exist yet is most likely a typo, and
      // would trust whoever makes that path later.
      const notADirectory = whyNotADirectory(root);
      if (notADirectory) {
        throw new PehError("USAGE", `${root} ${notADirectory}: peh trusts only a directory that exists`, "check the path given to --root, or make the directory first");
      }
      // Refused (nothing saved, nothing resolved) if trust.deny covers it.
      await addTrustedRoot(root);
      // A denied directory inside the root stays denied.
      const { deny } = await trustPolicy();
      const resolved: string[] = [];
      for (const [worker_id, cell] of waiting) {
        if (!trustedRootFor({ roots: [root], deny }, cell.context.cwd)) continue;
        await run.handle({ type: "ResolveTrust", at: now(), actor, worker_id, resolution: { source: "allowlist", root } });
        resolved.push(worker_id);
      }
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
