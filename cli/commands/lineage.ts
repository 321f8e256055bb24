// `peh rerun RUN [--from TASK] [--plan FILE]` and `peh fork RUN --at SEQ` (DESIGN §15, issue 22):
// new runs built from a recorded one, whose log is only read. Both record their lineage in the
// new run's first event; `peh runs --descendants RUN` finds them again.
import type { Command } from "commander";
import { PehError } from "../../events/index.js";
import { stateName } from "../../machines/fold/state-name.js";
import { statusOf } from "../../projections/status.js";
import { nextStep } from "../../runtime/gate/gate.js";
import { forkRun } from "../../runtime/lineage/fork.js";
import { rerunRun } from "../../runtime/lineage/rerun.js";
import { RunHandle } from "../../runtime/command-handler.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { storeOf } from "../context.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import { paint, printJson, type Io } from "../output.js";
import { renderPlan, renderProblems } from "../render/plan-view.js";
import { renderStatus } from "./status.js";


export function rerunCommand(program: Command, io: Io): void {
  program
    .command("rerun")
    .summary("a new run of a recorded run's plan, reusing the results of tasks that need not run again")
    .description(
      "Create a new run of RUN's plan (or of a changed plan, --plan, validated like `peh plan --from`), awaiting its " +
        "own approval like any run. Without --from it redrives what failed or never ran: every task that succeeded " +
        "is recorded as reused (TASK_REUSED, with RUN and the evidence it had) and not run again. With --from TASK, " +
        "TASK and everything downstream of it run afresh; every other task that succeeded is reused. A task whose " +
        "definition the new plan changes, or that builds on one that runs afresh, runs afresh too. RUN's log is " +
        "never changed; it must have ended (or never started). With isolation: worktree, the new run's branch " +
        "peh/<new run> starts where RUN's branch started, with the reused tasks' commits on it once, in RUN's order " +
        "(the same commits while no task that runs afresh came before them, replayed after); one that would " +
        "conflict without a task that runs afresh is not reused (a note says so).",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--from <task>", "run this task and everything downstream of it afresh")
    .option("--plan <file>", "rerun a changed plan (YAML or JSON) instead of RUN's")
    .option("--strict", "treat plan warnings as errors")
    .option("--as <name>", "who asks for the rerun (recorded; default: system)")
    .option("--json", "print {run_id, source_run, reused, fresh, notes, plan, problems}")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  peh rerun r-20260115-142345-ab12                  # redrive what failed or never ran\n" +
        "  peh rerun r-20260115-142345-ab12 --from deploy    # deploy and what follows it, afresh\n" +
        "  peh rerun latest --from build --plan release.v2.yaml\n" +
        "Then approve the new run (peh approve --as NAME) and run it (peh run).",
    )
    .action(async (runArg: string | undefined, options: { from?: string; plan?: string; strict?: boolean; as?: string; json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const sourceId = await resolveRunId(store, runArg);
      const rerun = await rerunRun(store, sourceId, { from: options.from, plan: options.plan, strict: options.strict, actor: options.as, cwd: process.cwd() });
      if (options.json) {
        printJson(io, { run_id: rerun.run_id, source_run: rerun.source_run, reused: rerun.reused, fresh: rerun.fresh, notes: rerun.notes, plan: rerun.plan, problems: rerun.problems });
        return;
      }
      const run = await RunHandle.open(store, rerun.run_id);
      const p = paint(io);
      const reused = rerun.reused.map((r) => `${r.task_id} (its event #${r.source_seq})`).join(", ");
      io.out(
        [
          `${p.bold("Run")} ${rerun.run_id} · rerun of ${sourceId}${options.from ? ` from ${options.from}` : ""} · plan version 1 · awaiting approval`,
          `Reused from ${sourceId}, not run again: ${reused || "none"}`,
          `Run afresh: ${rerun.fresh.join(", ") || "none"}`,
          ...rerun.notes.map((note) => `${p.yellow("note:")} ${note}`),
          ...renderPlan(io, rerun.plan),
          ...renderProblems(io, rerun.problems),
          "",
          `${p.bold("Next:")} ${nextStep(rerun.run_id, run.state)}`,
        ].join("\n"),
      );
    });
}

export function forkCommand(program: Command, io: Io): void {
  program
    .command("fork")
    .summary("a new run that starts from a recorded run's state right after event SEQ")
    .description(
      "Create a new run whose state is RUN's right after event SEQ (what `peh replay RUN --at SEQ` shows): its log " +
        "begins with RUN's events 1 to SEQ, copied, the first one carrying the lineage. From there it goes on as any " +
        "run: answer the decision it waits for differently (peh decide), change the plan (peh modify), resume it " +
        "(peh run; a task that was running at SEQ is resumed as after a crash). RUN's log is never changed. SEQ must " +
        "be one of RUN's events from its plan (PLAN_CREATED, event 1) on; `peh log RUN` shows each event's seq. " +
        "A run with isolation: worktree is forked only before its branch started (RUN_BRANCH_STARTED): past it, its " +
        "branch and worktrees are RUN's, and the fork is refused.",
    )
    .argument("[run]", RUN_ARGUMENT)
    .requiredOption("--at <seq>", "the event to fork right after")
    .option("--json", "print the forked run's status (as `peh status --json`) with its source and seq")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  peh log r-20260115-142345-ab12 | grep RECOVERY_ESCALATION   # find the decision point\n" +
        "  peh fork r-20260115-142345-ab12 --at 45\n" +
        "  peh decide --task lint abort --as ana && peh run            # the other answer, on the fork",
    )
    .action(async (runArg: string | undefined, options: { at: string; json?: boolean }, command: Command) => {
      if (!/^\d+$/.test(options.at)) throw new PehError("USAGE", `--at wants an event's seq (a whole number ≥ 1), not "${options.at}"; nothing was recorded`, "peh log RUN shows each event's seq");
      const store = storeOf(command);
      const sourceId = await resolveRunId(store, runArg);
      const forked = await forkRun(store, sourceId, Number(options.at));
      const status = statusOf(forked.state);
      if (options.json) {
        printJson(io, { ...status, run_id: forked.run_id, source_run: forked.source_run, at_seq: forked.at_seq });
        return;
      }
      const p = paint(io);
      const next = nextStep(forked.run_id, forked.state);
      io.out(
        [
          `${p.bold("Forked")} ${sourceId} at event #${forked.at_seq} as ${forked.run_id} (${stateName(forked.state.plan.value).replaceAll("_", " ")}); ${sourceId} is unchanged.`,
          ...renderStatus(io, status),
          ...(next ? ["", `${p.bold("Next:")} ${next}`] : []),
        ].join("\n"),
      );
    });
}
