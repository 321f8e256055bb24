// `peh status [RUN]` and `peh runs`: the state of a run rebuilt from its log: the plan, every
// task with its recovery ledger, the workers under way, the bootstrap, and what the run waits
// for with the exact command to type. Reads nothing but the log (a long run's from its checkpoint).
import { clockTime } from "../../projections/log-view.js";
import type { Command } from "commander";
import { statusOf, type LedgerEntry, type StatusView } from "../../projections/status.js";
import { isPehError, PehError } from "../../events/index.js";
import { resolveRunId } from "../../runtime/run-id.js";
import { viewStateOf } from "../../runtime/view-state.js";
import { storeOf } from "../context.js";
import { paint, printJson, type Io } from "../output.js";

const MARK: Record<string, string> = {
  succeeded: "✓",
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
      "Show the state of a run, rebuilt from its log: the plan, every task with its recovery ledger (attempts, " +
        "automatic retries used of those allowed, the next retry's time, never tried or exhausted), the workers " +
        "under way, the bootstrap, and what the run waits for with the exact command that unblocks it. Works on a " +
        "finished, live or crashed run. RUN defaults to the most recent run.",
    )
    .argument("[run]", "run id (default: the most recent)")
    .option("--json", "machine output")
    .action(async (runArg: string | undefined, options: { json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const status = statusOf((await viewStateOf(store, runId)).state);
      if (options.json) printJson(io, status);
      else io.out(renderStatus(io, status).join("\n"));
    });

  program
    .command("runs")
    .summary("every run in the store, oldest first")
    .description("List every run in the store with its state, progress, objective and last change, oldest first.")
    .option("--json", "machine output")
    .action(async (options: { json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const rows = [];
      for (const summary of await store.listRuns()) {
        const { run_id, events, created_at, updated_at } = summary;
        const read = await viewStateOf(store, run_id).catch((error: unknown) => {
          // One damaged log must not hide every other run: it is listed as damaged.
          if (isPehError(error, "STORE_CORRUPT")) return error;
          throw error;
        });
        if (read instanceof PehError) {
          rows.push({ run_id, state: "damaged", objective: null, events, created_at, updated_at, progress: null, waiting_for: [], error: { code: read.code, message: read.message } });
          continue;
        }
        const status = statusOf(read.state);
        rows.push({
          run_id,
          state: status.plan.state,
          objective: status.objective,
          events,
          created_at,
          updated_at,
          progress: status.progress,
          waiting_for: status.awaited.map((a) => a.command),
        });
      }
      if (options.json) {
        printJson(io, rows);
        return;
      }
      if (rows.length === 0) {
        io.out('no runs in this store yet: peh plan --from plan.yaml, or peh plan "<objective>"');
        return;
      }
      const p = paint(io);
      for (const row of rows) {
        if (!row.progress) {
          io.out(`${p.bold(row.run_id)}  ${p.red(row.state.padEnd(18))} ${row.error?.message ?? ""}`);
          continue;
        }
        const done = `${row.progress.succeeded}/${row.progress.total}`;
        io.out(`${p.bold(row.run_id)}  ${row.state.padEnd(18)} ${done.padStart(7)} succeeded  ${clockTime(row.updated_at)}  ${row.objective ?? ""}`);
      }
    });
}

export function renderStatus(io: Io, status: StatusView): string[] {
  const p = paint(io);
  const plan = status.plan;
  const approved = plan.approved_version === null ? "" : ` (approved: version ${plan.approved_version})`;
  const { succeeded, total, failed, skipped, upstream_failed, awaiting_decision } = status.progress;
  const ledger = new Map(status.ledger.map((entry) => [entry.task_id, entry]));
  const width = Math.max(4, ...status.tasks.map((t) => t.id.length));
  const lines = [
    `${p.bold("Run")} ${status.run_id} · ${plan.state.replaceAll("_", " ")} · plan version ${plan.version}${approved} · ${status.seq} events${status.at ? `, last at ${clockTime(status.at)}` : ""}`,
    `Objective: ${status.objective ?? "?"}`,
    `Bootstrap: ${status.bootstrap.state.replaceAll("_", " ")}`,
    `Tasks: ${succeeded}/${total} succeeded, ${failed} failed, ${skipped} skipped, ${upstream_failed} upstream failed, ${awaiting_decision} awaiting a decision`,
    ...status.tasks.map((task) => `  ${MARK[task.state] ?? "·"} ${task.id.padEnd(width)}  ${task.state.padEnd(17)} ${ledgerText(ledger.get(task.id))}`),
  ];
  const busy = status.workers.filter((w) => !["finished", "failed"].includes(w.state));
  if (busy.length > 0) {
    lines.push("Workers:");
    for (const worker of busy) {
      const trust = worker.trust ? ` · trusted by ${worker.trust.source === "manual" ? worker.trust.by : worker.trust.root}` : "";
      lines.push(`  ${worker.id}  ${worker.state}${trust}`);
    }
  }
  if (status.awaited.length > 0) {
    lines.push(p.bold("Waiting for:"));
    for (const awaited of status.awaited) lines.push(`  ${awaited.reason}`, `    → ${awaited.command}`);
  }
  return lines;
}

/** `attempt 2 · retries 1 of 2 (transient) · next retry 14:23:50`. */
function ledgerText(entry: LedgerEntry | undefined): string {
  if (!entry) return "";
  if (entry.attempts === 0) return entry.standing;
  const parts = [`attempt ${entry.attempts}`];
  if (entry.failure_class) parts.push(`retries ${entry.retries_used} of ${entry.retries_allowed} (${entry.failure_class})`);
  else if (entry.retries_used > 0) parts.push(`retries used ${entry.retries_used}`);
  if (entry.next_retry_at) parts.push(`next retry ${clockTime(entry.next_retry_at)}`);
  if (entry.standing.startsWith("exhausted")) parts.push("exhausted");
  else if (entry.state === "classified" && entry.standing !== "classified") parts.push(entry.standing.replace(/ \(.*\)$/, ""));
  return parts.join(" · ");
}
