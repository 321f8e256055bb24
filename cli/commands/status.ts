// `peh status [RUN]` and `peh runs`: the state of a run rebuilt from its log: the plan, every
// task with its recovery ledger, the workers under way, the bootstrap, and what the run waits
// for with the exact command to type. Reads nothing but the log (a long run's from its checkpoint).
import type { Command } from "commander";
import { gitWorkLines, gitWorkOf } from "../../projections/git-work.js";
import { agentUsageOf, spendText, type AgentUsageView } from "../../projections/agent-usage.js";
import { statusOf, type LedgerEntry, type Orchestrator, type StatusView } from "../../projections/status.js";
import { skippedFailuresText } from "../../projections/skipped.js";
import { plural, stateWords } from "../../projections/text/words.js";
import { sandboxWords } from "../../projections/text/sandbox-words.js";
import { lineageText } from "../../projections/lineage.js";
import { descendantsOf, lineages } from "../../runtime/lineage/descendants.js";
import { isPehError, PehError, type EventStore, type Lineage, type RunSummary } from "../../events/index.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { livenessOf } from "../../runtime/execution/lease.js";
import { placeOf } from "../../runtime/store/place.js";
import { leaveCheckpoint, viewStateOf } from "../../runtime/view-state.js";
import { storeOf } from "../context.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import { localTime } from "../time.js";
import { paint, printJson, type Io } from "../output.js";
import { approvalNote } from "../render/plan-view.js";

const MARK: Record<string, string> = {
  succeeded: "✓",
  reused: "↺",
  failed: "✗",
  upstream_failed: "✗",
  skipped: "–",
  awaiting_decision: "!",
  retry_scheduled: "↻",
  running: "▸",
  verifying: "▸",
  classifying: "▸",
  classified: "▸",
  interrupted: "⏸",
};

export function statusCommand(program: Command, io: Io): void {
  program
    .command("status")
    .summary("the state of a run, from its log: tasks, recovery ledger, what it waits for")
    .description(
      "Show the state of a run, rebuilt from its log: the plan, who drives it (the live peh run, or the command that " +
        "resumes a stopped one), every task with its recovery ledger (attempts, " +
        "automatic retries used of those allowed, the next retry's time, never tried or exhausted), the workers " +
        "under way, the bootstrap, and what the run waits for with the exact command that unblocks it. Works on a " +
        "finished, live or crashed run. Times are in your zone (TZ), with its offset. RUN defaults to the most recent run.",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--json", "machine output")
    .action(async (runArg: string | undefined, options: { json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const state = (await viewStateOf(store, runId)).state;
      const liveness = await livenessOf(placeOf(store).leases, runId);
      let status = statusOf(state, { liveness });
      if (status.awaited.some((awaited) => awaited.kind === "trust")) {
        // The user's deny list says which waiting worker is denied, not merely untrusted (loaded
        // only then: most views need neither the config nor the YAML parser).
        const denial = await (await import("../../runtime/execution/trust/trust.js")).viewDenial();
        if (denial) status = statusOf(state, { liveness, denial });
      }
      // Isolated work: the branch, each task's commit and archive ref, read from the log.
      const git = state.plan.context.run_branch ? gitWorkOf(await store.read(runId)) : null;
      // What agents spent is in the attempts' events: read only for a plan with agent tasks.
      const usage = state.plan_spec?.tasks.some((task) => task.agent !== undefined) ? agentUsageOf(await store.read(runId)) : undefined;
      const data = { ...status, ...(git ? { git } : {}), ...(usage ? { agent_usage: usage } : {}) };
      if (options.json) printJson(io, data);
      else io.out([...renderStatus(io, status), ...(git ? ["git:", ...gitWorkLines(git).map((text) => `  ${text}`)] : []), ...usageLines(usage)].join("\n"));
    });

  program
    .command("runs")
    .summary("every run in the store, oldest first")
    .description("List every run in the store with its state (a run under way: live, with the pid driving it, or stopped), progress, objective and last change, oldest first.")
    .option("--json", "machine output")
    .option("--descendants <run>", "only the runs rerun or forked from RUN, and theirs in turn (peh rerun, peh fork)")
    .addHelpText("after", "\nExamples:\n  peh runs\n  peh runs --descendants r-20260115-142345-ab12 --json")
    .action(async (options: { json?: boolean; descendants?: string }, command: Command) => {
      const store = storeOf(command);
      const rows: RunRow[] = [];
      let only: Set<string> | undefined;
      if (options.descendants !== undefined) {
        // Only the first events are read to find them; only theirs are folded.
        const of = await resolveRunId(store, options.descendants);
        only = new Set((await descendantsOf(store, of, await lineages(store))).map((d) => d.run_id));
        if (only.size === 0 && !options.json) {
          io.out(`no run was rerun or forked from ${of} (peh rerun ${of}, peh fork ${of} --at SEQ)`);
          return;
        }
      }
      // Several runs read at once: the listing waits mostly on the file system, one run after another.
      const summaries = (await store.listRuns()).filter((summary) => !only || only.has(summary.run_id));
      rows.push(...(await mapInOrder(summaries, RUNS_AT_ONCE, (summary) => runRow(store, summary))));
      if (options.json) {
        printJson(io, rows);
        return;
      }
      if (rows.length === 0) {
        io.out('no runs in this store yet: peh plan --from plan.yaml, or peh plan "<objective>"');
        return;
      }
      const p = paint(io);
      const stateOf = (row: RunRow) => row.state + (row.orchestrator ? ` (${drivenBy(row.orchestrator)})` : "");
      const width = Math.max(18, ...rows.map((row) => stateOf(row).length));
      for (const row of rows) {
        if (!row.progress) {
          io.out(`${p.bold(row.run_id)}  ${p.red(row.state.padEnd(width))} ${row.error?.message ?? ""}`);
          continue;
        }
        const done = row.workers === undefined ? `${`${row.progress.succeeded}/${row.progress.total}`.padStart(7)} succeeded` : plural(row.workers, "worker").padStart(17);
        const from = row.lineage ? p.dim(` (${lineageText(row.lineage).replace(/, reusing.*$/, "")})`) : "";
        io.out(`${p.bold(row.run_id)}  ${stateOf(row).padEnd(width)} ${done}  ${localTime(row.updated_at)}  ${row.objective ?? ""}${from}`);
      }
    });
}

/** A line of `peh runs`. */
interface RunRow {
  run_id: string;
  /** A rerun's or a fork's source (issue 22). */
  lineage?: Lineage;
  state: string;
  objective: string | null;
  events: number;
  created_at: string;
  updated_at: string;
  progress: StatusView["progress"] | null;
  waiting_for: string[];
  orchestrator?: Orchestrator;
  /** The worker service's run: its workers, in place of progress. */
  workers?: number;
  error?: { code: string; message: string };
}

export function renderStatus(io: Io, status: StatusView): string[] {
  const p = paint(io);
  const plan = status.plan;
  const approved = approvalNote(plan);
  const { succeeded, total, failed, skipped, upstream_failed, awaiting_decision, reused } = status.progress;
  const ledger = new Map(status.ledger.map((entry) => [entry.task_id, entry]));
  const width = Math.max(4, ...status.tasks.map((t) => t.id.length));
  const where = status.service
    ? `serving · ${plural(status.service.workers, "worker")} (peh serve worker; peh run never runs them)`
    : `${stateWords(plan.state)} · plan version ${plan.version}${approved}`;
  const lines = [
    `${p.bold("Run")} ${status.run_id} · ${where} · ${plural(status.seq, "event")}${status.at ? `, last at ${localTime(status.at)}` : ""}`,
    `Objective: ${status.objective ?? "?"}`,
    ...(status.lineage ? [`Lineage: ${lineageText(status.lineage)}`] : []),
    `Bootstrap: ${stateWords(status.bootstrap.state)}`,
    ...(status.orchestrator ? [orchestratorLine(status.orchestrator)] : []),
    `Tasks: ${succeeded}/${total} succeeded, ${reused ? `${reused} reused, ` : ""}${failed} failed, ${skipped} skipped, ${upstream_failed} upstream failed, ${awaiting_decision} awaiting a decision`,
    ...status.tasks.map((task) => {
      // Started, but its worker waits for a human's trust: not running.
      const trust = ledger.get(task.id)?.standing === "waiting for trust";
      return `  ${trust ? "?" : (MARK[task.state] ?? "·")} ${task.id.padEnd(width)}  ${(trust ? "waiting for trust" : stateWords(task.state)).padEnd(17)} ${ledgerText(ledger.get(task.id))}`;
    }),
  ];
  if (status.skipped_failures.length > 0) {
    const text = skippedFailuresText(status.skipped_failures);
    lines.push(p.yellow(plan.state === "completed" ? `Completed with ${text}` : text[0]!.toUpperCase() + text.slice(1)));
  }
  const busy = status.workers.filter((w) => !["finished", "failed"].includes(w.state));
  if (busy.length > 0) {
    lines.push("Workers:");
    for (const worker of busy) {
      const trust = worker.trust ? ` · trusted by ${worker.trust.source === "manual" ? worker.trust.by : worker.trust.root}` : "";
      lines.push(`  ${worker.id}  ${stateWords(worker.state)}${trust}`);
      if (worker.sandbox) lines.push(`    ${sandboxWords(worker.sandbox)}`);
    }
  }
  lines.push(...sandboxLines(status));
  if (status.awaited.length > 0) {
    lines.push(p.bold("Waiting for:"));
    for (const awaited of status.awaited) lines.push(`  ${awaited.reason}`, `    → ${awaited.command}`);
  }
  return lines;
}

/** `live, pid 4242` or `stopped`, for `peh runs`. */
function drivenBy(orchestrator: Orchestrator): string {
  return orchestrator.state === "live" ? `live, pid ${orchestrator.pid}` : "stopped";
}

/** Who drives a run under way, or the command that resumes it. */
function orchestratorLine(orchestrator: Orchestrator): string {
  if (orchestrator.state === "stopped") return `Orchestrator: none, the run is stopped: resume it with ${orchestrator.command}`;
  const started = orchestrator.started ? `, started ${localTime(orchestrator.started)}` : "";
  return `Orchestrator: peh run, pid ${orchestrator.pid} on host ${orchestrator.host}${started}`;
}

/** `attempt 2 · retries 1 of 2 (transient) · next retry 14:23:50`. */
function ledgerText(entry: LedgerEntry | undefined): string {
  if (!entry) return "";
  if (entry.attempts === 0 || entry.state === "reused") return entry.standing;
  const parts = [`attempt ${entry.attempts}`];
  if (entry.failure_class) parts.push(`retries ${entry.retries_used} of ${entry.retries_allowed} (${entry.failure_class})`);
  else if (entry.retries_used > 0) parts.push(`retries used ${entry.retries_used}`);
  if (entry.next_retry_at) parts.push(`next retry ${localTime(entry.next_retry_at)}`);
  if (entry.standing.startsWith("exhausted")) parts.push("exhausted");
  else if (entry.state === "classified" && entry.standing !== "classified") parts.push(entry.standing.replace(/ \(.*\)$/, ""));
  return parts.join(" · ");
}

/** How the latest attempt of each task ran: `Sandbox: 3 attempts sandboxed`, and each one that was not, with why. */
function sandboxLines(status: StatusView): string[] {
  const latest = new Map<string, StatusView["workers"][number]>();
  for (const worker of status.workers) if ((latest.get(worker.task_id)?.attempt ?? 0) < worker.attempt) latest.set(worker.task_id, worker);
  const ran = [...latest.values()].filter((worker) => worker.sandbox !== null);
  if (ran.length === 0) return [];
  const open = ran.filter((worker) => !worker.sandbox!.sandboxed);
  const granted = ran.filter((worker) => worker.sandbox!.sandboxed && (worker.sandbox!.network || worker.sandbox!.writable.length > 1));
  return [
    `Sandbox: ${plural(ran.length - open.length, "latest attempt")} sandboxed, ${open.length} not${granted.length ? `; with grants: ${granted.map((w) => w.id).join(", ")}` : ""} (peh log shows each profile)`,
    ...open.map((worker) => `  ${worker.id}  ${sandboxWords(worker.sandbox!)}`),
  ];
}

/** `Agents: …` and one line per task that ran an agent CLI. */
function usageLines(usage: AgentUsageView | undefined): string[] {
  if (!usage) return [];
  const width = Math.max(4, ...usage.tasks.map((t) => t.task_id.length));
  return [`Agents: ${spendText(usage.total)}`, ...usage.tasks.map((t) => `  ${t.task_id.padEnd(width)}  ${t.cli.padEnd(8)} ${spendText(t)}`)];
}

/** How many runs `peh runs` reads at once. */
const RUNS_AT_ONCE = 8;

/** `f` of each item, at most `limit` at a time, the results in the items' order. */
async function mapInOrder<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** One run's row of `peh runs`: its state folded for the view; a damaged log is a row that says so. */
async function runRow(store: EventStore, summary: RunSummary): Promise<RunRow> {
  const { run_id, events, created_at, updated_at } = summary;
  const read = await viewStateOf(store, run_id).catch((error: unknown) => {
    // One damaged log must not hide every other run: it is listed as damaged.
    if (isPehError(error, "STORE_CORRUPT")) return error;
    throw error;
  });
  if (read instanceof PehError) {
    return { run_id, state: "damaged", objective: null, events, created_at, updated_at, progress: null, waiting_for: [], error: { code: read.code, message: read.message } };
  }
  // A run that has ended changes no more (bar a landing): its checkpoint spares the next listing
  // the parse and validation of its log, whatever its length.
  if (read.state.plan.status === "done" && read.from_checkpoint < read.state.seq) await leaveCheckpoint(store, run_id, read.state, 0);
  const status = statusOf(read.state, { liveness: await livenessOf(placeOf(store).leases, run_id) });
  const orchestrator = status.orchestrator;
  return {
    run_id,
    // The worker service's run is a service: it never ends, and nothing runs its commands.
    state: status.service ? "serving" : status.plan.state,
    ...(status.service ? { workers: status.service.workers } : {}),
    objective: status.objective,
    events,
    created_at,
    updated_at,
    progress: status.progress,
    waiting_for: status.awaited.map((a) => a.command),
    // The state folded for the row holds its first event's lineage: no second read.
    ...(read.state.lineage ? { lineage: read.state.lineage } : {}),
    ...(orchestrator ? { orchestrator } : {}),
  };
}
