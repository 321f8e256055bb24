// The human actions of `peh ui`: each body parsed, then one call to the same runtime service the
// CLI calls (approveRun, modifyRun, rejectRun, clarifyRun, answerRun, decideTask, trustTask,
// trustRoot), recorded with the
// actor's name and `via: web`. No rule is checked here that the service does not check itself.
import { z } from "zod";
import { PehError, type EventStore, type RunId } from "../../events/index.js";
import { humanName } from "../gate/actor.js";
import { answerRun, approveRun, clarifyRun, modifyRun, rejectRun } from "../gate/gate.js";
import { decideTask, trustRoot, trustTask } from "../gate/human-answers.js";

const actor = z.string().max(200).optional();

export const ActionSchemas = {
  approve: z.strictObject({ actor, version: z.number().int().positive(), confirmations: z.array(z.string().max(1000)).max(1000).default([]) }),
  modify: z.strictObject({ actor, skip: z.string().min(1) }),
  reject: z.strictObject({ actor, reason: z.string().min(1) }),
  // An empty text is the service's to refuse, in the words `peh clarify` uses.
  /** `peh clarify --question`: a question before approving; the plan waits for its answer. */
  question: z.strictObject({ actor, question: z.string().max(10_000) }),
  /** `peh clarify --answer`: the answer to the open question; the plan awaits approval again. */
  answer: z.strictObject({ actor, answer: z.string().max(10_000) }),
  decide: z.strictObject({ actor, task: z.string().min(1), decision: z.enum(["retry", "skip", "abort"]) }),
  trust: z.union([z.strictObject({ actor, task: z.string().min(1) }), z.strictObject({ actor, root: z.string().min(1) })]),
};
export type ActionName = keyof typeof ActionSchemas;

export const isAction = (name: string): name is ActionName => Object.hasOwn(ActionSchemas, name);

/** What an action answers: the line the CLI prints after its ✓, and where the run stands now. */
export interface ActionReceipt {
  ok: true;
  run_id: RunId;
  message: string;
}

const WHAT: Record<ActionName, string> = {
  approve: "approves",
  modify: "modifies the plan",
  reject: "rejects the plan",
  question: "asks",
  answer: "answers",
  decide: "decides",
  trust: "trusts",
};

export async function performAction(store: EventStore, runId: RunId, name: ActionName, body: unknown): Promise<ActionReceipt> {
  const parsed = ActionSchemas[name].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PehError("USAGE", `the ${name} request is malformed: ${issue?.path.join(".") || "body"}: ${issue?.message}; nothing was recorded`, "send it from the page, which fills every field");
  }
  const who = humanName(parsed.data.actor, "the name given on the page", WHAT[name]);
  const human = { actor: who, via: "web" as const };
  const receipt = (message: string): ActionReceipt => ({ ok: true, run_id: runId, message });
  switch (name) {
    case "approve": {
      const input = ActionSchemas.approve.parse(body);
      const after = await approveRun(store, runId, { ...human, version: input.version, confirmations: input.confirmations });
      return receipt(`approved version ${after.plan.context.approved_version} of ${runId} as ${who}`);
    }
    case "modify": {
      const input = ActionSchemas.modify.parse(body);
      const after = await modifyRun(store, runId, { ...human, modification: { kind: "skip", id: input.skip } });
      return receipt(`made version ${after.plan_spec?.version} of ${runId}'s plan without ${input.skip}; it needs approval`);
    }
    case "reject": {
      const input = ActionSchemas.reject.parse(body);
      await rejectRun(store, runId, { ...human, reason: input.reason });
      return receipt(`rejected ${runId}'s plan as ${who}: ${input.reason}`);
    }
    // The CLI's own ✓ lines (peh clarify).
    case "question": {
      const input = ActionSchemas.question.parse(body);
      await clarifyRun(store, runId, { ...human, question: input.question });
      return receipt(`asked on ${runId}: ${input.question}`);
    }
    case "answer": {
      const input = ActionSchemas.answer.parse(body);
      await answerRun(store, runId, { ...human, answer: input.answer });
      return receipt(`answered on ${runId}; the plan awaits approval`);
    }
    case "decide": {
      const input = ActionSchemas.decide.parse(body);
      const events = await decideTask(store, runId, { ...human, task: input.task, decision: input.decision });
      const expedited = events.some((event) => event.type === "RECOVERY_EXPEDITED");
      return receipt(expedited ? `${input.task}'s scheduled retry runs now (decided by ${who})` : `${input.decision} for ${input.task} in ${runId}, decided by ${who}`);
    }
    case "trust": {
      const input = ActionSchemas.trust.parse(body);
      if ("task" in input) return receipt(`trusted ${await trustTask(store, runId, { ...human, task: input.task })} (by ${who})`);
      const { root, resolved } = await trustRoot(store, runId, { ...human, root: input.root });
      return receipt(`trusted ${root} (by ${who}; saved in your config); ${resolved.length} waiting worker${resolved.length === 1 ? "" : "s"} resolved`);
    }
  }
}

