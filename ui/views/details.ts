// The selected task: what the plan says of it (objective, scope, grants, risk, checks) and every
// attempt with its outcome, class, evidence, duration and error, its output on request.
import { duration, h, localTime } from "../dom.js";
import type { Snapshot } from "../model.js";
import type { Source } from "../source.js";

export function renderDetails(container: HTMLElement, snapshot: Snapshot, taskId: string | null, source: Source, runId: string): void {
  const task = snapshot.plan?.tasks.find((t) => t.id === taskId);
  if (!task) {
    container.replaceChildren(h("p", { class: "muted" }, snapshot.plan ? "Select a task in the graph to see its details." : "No plan yet."));
    return;
  }
  const view = snapshot.status.tasks.find((t) => t.id === task.id);
  const ledger = snapshot.status.ledger.find((entry) => entry.task_id === task.id);
  const attempts = snapshot.attempts.get(task.id) ?? [];
  const grants = [
    task.cwd ? `cwd ${task.cwd}` : null,
    task.network !== undefined ? `network ${task.network ? "on" : "off"}` : null,
    task.writable?.length ? `writable ${task.writable.join(", ")}` : null,
    task.sandbox ? `sandbox ${task.sandbox}` : null,
    task.agent ? `agent ${task.agent}` : null,
  ].filter((grant): grant is string => grant !== null);
  const row = (name: string, value: Node | string | null | undefined) => (value === null || value === undefined || value === "" ? null : h("tr", {}, h("th", {}, name), h("td", {}, value)));
  const output = h("pre", { class: "output", hidden: true });
  container.replaceChildren(
    h("h2", { id: "task-title" }, task.id, " ", h("span", { class: `badge st-${view?.state ?? "pending"}`, id: "task-state" }, view?.state ?? "pending")),
    h("p", { class: "objective" }, task.objective),
    h(
      "table",
      { class: "facts" },
      row("scope", `${task.scope}${task.scope_path ? ` · ${task.scope_path}` : ""}`),
      row("grants", grants.join(" · ") || "none asked"),
      row("risk", task.risky ? `risky${task.risk_reason ? ` — ${task.risk_reason}` : ""}; phrase “${task.confirm ?? task.id}”` : "not risky"),
      row("depends on", task.depends_on.join(", ") || "nothing"),
      row("runs", task.run ? h("code", {}, task.run) : null),
      row("checks", task.acceptance_tests.length ? h("ul", {}, task.acceptance_tests.map((check) => h("li", {}, h("code", {}, check)))) : "none"),
      row("idempotent", task.idempotent ? "yes" : "no: never re-run without a human"),
      row("standing", ledger ? `${ledger.standing}${ledger.retries_allowed !== null ? ` · retries ${ledger.retries_used}/${ledger.retries_allowed}` : ""}` : null),
    ),
    h("h3", {}, `Attempts (${attempts.length})`),
    attempts.length === 0
      ? h("p", { class: "muted" }, "Not started.")
      : h(
          "table",
          { class: "attempts" },
          h("tr", {}, ["#", "outcome", "class", "duration", "started", "evidence", ""].map((name) => h("th", {}, name))),
          attempts.map((attempt) =>
            h(
              "tr",
              { class: `out-${attempt.outcome}`, "data-attempt": attempt.attempt },
              h("td", {}, String(attempt.attempt)),
              h("td", {}, attempt.outcome, attempt.error ? h("div", { class: "error" }, `${attempt.error.code}: ${attempt.error.message}`) : null),
              h("td", {}, attempt.class ?? "—", attempt.class_evidence ? h("div", { class: "muted" }, attempt.class_evidence) : null),
              h("td", {}, duration(attempt.duration_ms)),
              h("td", {}, localTime(attempt.started_at)),
              h("td", {}, attempt.evidence.map((check) => h("div", {}, h("code", {}, check.command), ` → ${check.exit_code ?? "no exit"} (${duration(check.duration_ms)})`))),
              h(
                "td",
                {},
                h(
                  "button",
                  {
                    class: "small",
                    onclick: () => {
                      output.hidden = false;
                      output.textContent = "…";
                      source.output(runId, task.id, attempt.attempt).then(
                        (text) => (output.textContent = text || "(no output)"),
                        (error: Error) => (output.textContent = error.message),
                      );
                    },
                  },
                  "output",
                ),
              ),
            ),
          ),
        ),
    output,
  );
}
