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
    if (live && wait.kind === "approval" && snapshot.plan) forms.push(...approvalForms(snapshot, act));
    if (wait.kind === "clarification") forms.push(...clarificationForms(snapshot, live, act));
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

type Act = (action: string, body: object) => Promise<void>;

/** Approve the version shown with every risky phrase, ask a question first, skip a task, or reject. */
function approvalForms(snapshot: Snapshot, act: Act): Node[] {
  const version = snapshot.state.plan.context.version;
  const phrases = riskyTasksOf(snapshot.plan!).map((risky) => ({ risky, input: h("input", { type: "text", class: "phrase", id: `phrase-${risky.task_id}`, "data-task": risky.task_id, autocomplete: "off", placeholder: risky.phrase }) }));
  const question = h("input", { type: "text", id: "question-text", class: "wide", placeholder: "what you need to know before approving (recorded)" });
  return [
    h(
      "div",
      { class: "form" },
      phrases.map(({ risky, input }) => h("label", { class: "phrase-label" }, `Task ${risky.task_id} is risky. Type “${risky.phrase}” to approve it:`, input)),
      h("button", { id: "approve", class: "primary", onclick: () => act("approve", { version, confirmations: phrases.map(({ input }) => input.value) }) }, `Approve version ${version}`),
    ),
    h("div", { class: "form" }, "Ask a question first (the plan waits for its answer): ", question, h("button", { id: "ask", onclick: () => act("question", { question: question.value }) }, "Ask")),
    ...changeForms(snapshot, act),
  ];
}

/** The open question, and its answer (the plan then awaits approval again); or skip a task, or reject. */
function clarificationForms(snapshot: Snapshot, live: boolean, act: Act): Node[] {
  const asked = snapshot.question;
  const shown = asked ? h("blockquote", { class: "question", id: "question" }, asked.text, h("span", { class: "muted" }, ` — ${asked.actor}, #${asked.seq}`)) : null;
  if (!live) return shown ? [shown] : [];
  const answer = h("textarea", { id: "answer-text", rows: 2, placeholder: "your answer (recorded in the log)" });
  return [
    ...(shown ? [shown] : []),
    h("div", { class: "form" }, answer, h("button", { id: "answer", class: "primary", onclick: () => act("answer", { answer: answer.value }) }, "Answer")),
    ...changeForms(snapshot, act),
  ];
}

/** What a plan not yet approved can take besides its approval: a version without a task, or its end. */
function changeForms(snapshot: Snapshot, act: Act): Node[] {
  if (!snapshot.plan) return [];
  const skip = h("select", { id: "skip-task" }, snapshot.plan.tasks.map((task) => h("option", { value: task.id }, task.id)));
  const reason = h("input", { type: "text", id: "reject-reason", placeholder: "why (recorded)" });
  return [
    h("div", { class: "form" }, "Skip a task (a new version, to approve again): ", skip, h("button", { id: "skip", onclick: () => act("modify", { skip: skip.value }) }, "Skip")),
    h("div", { class: "form" }, "Reject the plan: ", reason, h("button", { id: "reject", class: "danger", onclick: () => act("reject", { reason: reason.value }) }, "Reject")),
  ];
}
