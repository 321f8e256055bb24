// The runs of the store, newest first, with their state and counts.
import { h, localTime } from "../dom.js";
import type { RunListEntry } from "../../projections/status.js";

export function renderRuns(container: HTMLElement, runs: RunListEntry[], link: (runId: string) => string): void {
  if (runs.length === 0) {
    container.replaceChildren(h("p", { class: "muted" }, "No runs in this store yet: peh plan --from plan.yaml, or peh plan \"<objective>\"."));
    return;
  }
  container.replaceChildren(
    h(
      "table",
      { class: "runs", id: "runs" },
      h("tr", {}, ["run", "objective", "state", "tasks", "waits for a human", "events", "updated"].map((name) => h("th", {}, name))),
      runs.map((run) =>
        h(
          "tr",
          { "data-run": run.run_id },
          h("td", {}, h("a", { href: link(run.run_id) }, run.run_id)),
          h("td", {}, run.objective ?? "—"),
          h("td", {}, h("span", { class: `badge plan-${run.state}` }, run.state)),
          h("td", {}, `${run.progress.succeeded}/${run.progress.total} done${run.progress.failed ? `, ${run.progress.failed} failed` : ""}${run.progress.active ? `, ${run.progress.active} active` : ""}`),
          h("td", {}, run.awaited > 0 ? h("span", { class: "badge waits" }, String(run.awaited)) : "—"),
          h("td", {}, String(run.events)),
          h("td", {}, localTime(run.updated_at)),
        ),
      ),
    ),
  );
}
