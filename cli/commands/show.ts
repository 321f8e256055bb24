// `peh show [RUN]`: the plan, its version, its gate state and the history of gate decisions.
import type { Command } from "commander";
import { stateName } from "../../machines/fold/state-name.js";
import { gateHistory } from "../../projections/gate-history.js";
import { plural, stateWords } from "../../projections/text/words.js";
import { lineageText } from "../../projections/lineage.js";
import { descendantsOf } from "../../runtime/lineage/descendants.js";
import { serviceOf } from "../../projections/status.js";
import { RunHandle } from "../../runtime/command-handler.js";
import { nextStep } from "../../runtime/gate/gate.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { storeOf } from "../context.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import { paint, printJson, type Io } from "../output.js";
import { approvalNote, renderHistory, renderPlan } from "../render/plan-view.js";

export function showCommand(program: Command, io: Io): void {
  program
    .command("show")
    .summary("the plan of a run and its gate state")
    .description("Show a run's current plan version, its gate state, the history of gate decisions and what to type next. RUN defaults to the most recent run.")
    .argument("[run]", RUN_ARGUMENT)
    .option("--json", "machine output")
    .action(async (runArg: string | undefined, options: { json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const events = await store.read(runId);
      const run = await RunHandle.open(store, runId);
      const state = run.state;
      const service = serviceOf(state);
      // The worker service's run is a service, approved by itself: never shown as a plan that runs.
      const gate = service ? "serving" : stateName(state.plan.value);
      const history = gateHistory(events);
      const next = nextStep(runId, state);
      const descendants = await descendantsOf(store, runId);
      const tasks = new Map([...state.tasks].map(([id, cell]) => [id as string, stateName(cell.value)]));
      if (options.json) {
        printJson(io, {
          run_id: runId,
          state: gate,
          version: state.plan_spec?.version ?? null,
          approved_version: state.plan.context.approved_version,
          changed_by: state.plan.context.changed_by,
          // What the approval (and each confirmed change) granted, task by task.
          granted: state.plan.context.granted,
          plan: state.plan_spec,
          tasks: Object.fromEntries(tasks),
          history,
          next: next ?? null,
          lineage: state.lineage,
          descendants,
          ...(service ? { service } : {}),
        });
        return;
      }
      const p = paint(io);
      io.out(
        [
          `${p.bold("Run")} ${runId} · plan version ${state.plan_spec?.version ?? "?"} · ${stateWords(gate)}${service ? ` (peh serve worker: ${plural(service.workers, "worker")}; peh run never runs them)` : approvalNote(state.plan.context)}`,
          ...(state.lineage ? [`Lineage: ${lineageText(state.lineage)}`] : []),
          ...descendants.map((d) => `Descendant: ${d.run_id} (${lineageText(d.lineage).replace(/, reusing.*$/, "")})`),
          ...(state.plan_spec ? renderPlan(io, state.plan_spec, { states: new Map([...tasks].map(([id, name]) => [id, stateWords(name)])) }) : []),
          ...renderHistory(io, history),
          ...(next ? ["", `${p.bold("Next:")} ${next}`] : []),
        ].join("\n"),
      );
    });
}
