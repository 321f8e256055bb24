// The human answers to a run that waits, as services: a decision on a failed task (retry, skip,
// abort) and trust for a worker or a directory. `peh decide`, `peh trust` and `peh ui` call these,
// so a refusal reads the same wherever the human typed.
import { isPehError, PehError, workerIdFor, type EventStore, type PehEvent, type RunId, type TaskId, type Via } from "../../events/index.js";
import { stateName } from "../../machines/fold/state-name.js";
import { awaitedOf } from "../../projections/status.js";
import { stateWords } from "../../projections/text/words.js";
import { RunHandle } from "../command-handler.js";
import { whyNotADirectory } from "../store/directory.js";
import { standingOf } from "./refusals.js";
import { now } from "../execution/clock.js";
import { addTrustedRoot, canonicalize, deniedBy, trustPolicy, trustedRootFor, untrustedReason } from "../execution/trust/trust.js";

export type Decision = "retry" | "skip" | "abort";

export interface HumanInput {
  actor: string;
  /** Where the human acted when not on the command line (`web`): recorded on the events. */
  via?: Via;
}

const viaOf = (input: HumanInput) => (input.via === undefined ? {} : { via: input.via });

/** Records `decision` for `task`, or refuses in plain words by where the task stands. Returns the events appended. */
export async function decideTask(store: EventStore, runId: RunId, input: HumanInput & { task: string; decision: Decision }): Promise<PehEvent[]> {
  const run = await RunHandle.open(store, runId);
  const { task, decision } = input;
  try {
    return (await run.handle({ type: "RecordDecision", at: now(), actor: input.actor, ...viaOf(input), task_id: task, decision })).events;
  } catch (error) {
    if (!isPehError(error, "ILLEGAL_TRANSITION")) throw error;
    // The machine refused; the run's projection says which tasks a decision would answer.
    const waiting = awaitedOf(run.state).flatMap((awaited) => (awaited.kind === "decision" || awaited.kind === "permission" ? [awaited.task_id] : []));
    const hint = waiting.length > 0 ? `tasks waiting for a decision: ${waiting.join(", ")}` : (error.hint ?? `no task of ${runId} waits for a decision: \`peh status ${runId}\` shows where it is`);
    // In plain words, by where the task stands; the machine's own message stays in the details.
    const cell = run.state.tasks.get(task as TaskId);
    const standing = cell ? `task ${task} is ${stateWords(stateName(cell.value))}, not waiting for a decision` : error.message;
    throw new PehError(error.code, `\`peh decide --task ${task} ${decision}\` refused: ${standing} (${standingOf(run.state)})`, hint, { machine: error.message, details: error.details });
  }
}

/** Trusts `task`'s current worker, which waits at trust_required; the config's deny list wins. Returns the worker trusted. */
export async function trustTask(store: EventStore, runId: RunId, input: HumanInput & { task: string }): Promise<string> {
  const run = await RunHandle.open(store, runId);
  const waiting = waitingForTrust(run);
  const attempt = run.state.tasks.get(input.task as TaskId)?.context.attempt ?? 0;
  const worker_id = workerIdFor(input.task as TaskId, attempt);
  const cell = waiting.find(([id]) => id === worker_id)?.[1];
  if (!cell) {
    throw new PehError("USAGE", `task ${input.task} has no worker waiting for trust`, `workers waiting: ${waiting.map(([id]) => id).join(", ") || "none"}`);
  }
  // The deny list wins over every grant, a human's for one worker too.
  const policy = await trustPolicy();
  const denied = deniedBy(policy, cell.context.cwd);
  if (denied !== undefined) {
    throw new PehError(
      "USAGE",
      `task ${input.task} runs in ${cell.context.cwd}, which is ${untrustedReason(policy, cell.context.cwd)}; nothing was trusted`,
      `if you mean to trust it, remove ${denied} from trust.deny in ${policy.config} first`,
    );
  }
  await run.handle({ type: "ResolveTrust", at: now(), actor: input.actor, ...viaOf(input), worker_id, resolution: { source: "manual", by: input.actor } });
  return worker_id;
}

/**
 * Trusts the directory `root` from now on (saved in the user's config, refused if trust.deny
 * covers it) and resolves every waiting worker inside it. Returns the root and the workers trusted.
 */
export async function trustRoot(store: EventStore, runId: RunId, input: HumanInput & { root: string }): Promise<{ root: string; resolved: string[] }> {
  const run = await RunHandle.open(store, runId);
  const root = canonicalize(input.root);
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
  for (const [worker_id, cell] of waitingForTrust(run)) {
    if (!trustedRootFor({ roots: [root], deny }, cell.context.cwd)) continue;
    await run.handle({ type: "ResolveTrust", at: now(), actor: input.actor, ...viaOf(input), worker_id, resolution: { source: "allowlist", root } });
    resolved.push(worker_id);
  }
  return { root, resolved };
}

function waitingForTrust(run: RunHandle) {
  return [...run.state.workers].filter(([, cell]) => stateName(cell.value) === "trust_required");
}
