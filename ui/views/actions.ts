// "Required actions": what the run waits for, each with the form that answers it. Every check
// happens on the server, through the CLI's own services; a refusal is shown as the CLI words it
// (message and hint), an answer as the CLI's ✓ line.
import { riskyTasksOf } from "../../machines/plan.js";
import { h } from "../dom.js";
import type { Snapshot } from "../model.js";
import type { ActionAnswer, Source } from "../source.js";

export interface ActionContext {
  source: Source;
  runId: string;
  actor: () => string;
}

/** Draws the forms; `result` (kept by the page across redraws) shows the last answer. */
export function renderActions(container: HTMLElement, snapshot: Snapshot, context: ActionContext, result: HTMLElement): void {
  const awaited = snapshot.status.awaited;
  if (awaited.length === 0) {
    container.replaceChildren(h("p", { class: "muted", id: "no-actions" }, snapshot.live ? "Nothing waits for a human." : "Nothing waited for a human at this point."));
    return;
  }
  const act = async (action: string, body: object) => {
    result.className = "result busy";
    result.textContent = "…";
    const answer: ActionAnswer = await context.source.act(context.runId, action, { actor: context.actor(), ...body }).catch((error: Error) => ({ ok: false as const, error: { code: "NETWORK", message: error.message } }));
    if (answer.ok) {
      result.className = "result ok";
      result.replaceChildren(`✓ ${answer.message}`);
    } else {
      result.className = "result refused";
      result.replaceChildren(h("div", { class: "message" }, `${answer.error.code}: ${answer.error.message}`), ...(answer.error.hint ? [h("div", { class: "hint" }, `Hint: ${answer.error.hint}`)] : []));
    }
  };
  const live = snapshot.live && !context.source.readOnly;
  const items = awaited.map((wait) => {
    const forms: Node[] = [];
    if (live && wait.kind === "approval" && snapshot.plan) {
      const version = snapshot.state.plan.context.version;
      const phrases = riskyTasksOf(snapshot.plan).map((risky) => ({ risky, input: h("input", { type: "text", class: "phrase", id: `phrase-${risky.task_id}`, "data-task": risky.task_id, autocomplete: "off", placeholder: risky.phrase }) }));
      const skip = h("select", { id: "skip-task" }, snapshot.plan.tasks.map((task) => h("option", { value: task.id }, task.id)));
      const reason = h("input", { type: "text", id: "reject-reason", placeholder: "why (recorded)" });
      forms.push(
        h(
          "div",
          { class: "form" },
          phrases.map(({ risky, input }) => h("label", { class: "phrase-label" }, `Task ${risky.task_id} is risky. Type “${risky.phrase}” to approve it:`, input)),
          h("button", { id: "approve", class: "primary", onclick: () => act("approve", { version, confirmations: phrases.map(({ input }) => input.value) }) }, `Approve version ${version}`),
        ),
        h("div", { class: "form" }, "Skip a task (a new version, to approve again): ", skip, h("button", { id: "skip", onclick: () => act("modify", { skip: skip.value }) }, "Skip")),
        h("div", { class: "form" }, "Reject the plan: ", reason, h("button", { id: "reject", class: "danger", onclick: () => act("reject", { reason: reason.value }) }, "Reject")),
      );
    }
    if (live && (wait.kind === "decision" || wait.kind === "permission") && wait.task_id) {
      const task = wait.task_id;
      forms.push(
        h(
          "div",
          { class: "form" },
          (["retry", "skip", "abort"] as const).map((decision) =>
            h("button", { class: decision === "abort" ? "danger" : decision === "retry" ? "primary" : "", "data-decide": `${task}:${decision}`, onclick: () => act("decide", { task, decision }) }, decision),
          ),
        ),
      );
    }
    if (live && wait.kind === "trust" && wait.task_id && !wait.command.startsWith("peh run")) {
      const task = wait.task_id;
      const root = h("input", { type: "text", id: "trust-root", value: snapshot.state.workspace ?? "" });
      forms.push(
        h("div", { class: "form" }, h("button", { "data-trust": task, class: "primary", onclick: () => act("trust", { task }) }, `Trust ${task}'s worker`)),
        h("div", { class: "form" }, "or trust a directory from now on: ", root, h("button", { onclick: () => act("trust", { root: root.value }) }, "Trust directory")),
      );
    }
    return h("li", { class: `awaited kind-${wait.kind}`, "data-kind": wait.kind }, h("div", {}, wait.reason), h("code", { class: "command" }, wait.command), forms);
  });
  container.replaceChildren(h("ul", { class: "awaited-list" }, items));
}
