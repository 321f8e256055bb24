// Pure. Which tasks are risky: marked by the plan, given a confirmation phrase, asking for a grant
// (network, writable paths, no sandbox), or inferred from destructive patterns in what they run
// or read. A risky task needs its phrase typed at approval.
import type { PlanFile, PlanTask } from "../../events/index.js";
import { asksForGrants, grantWords, requestedGrants, type Asking } from "../../machines/grants.js";
import { agentPromptOf } from "../../events/index.js";

interface Pattern {
  name: string;
  test: RegExp;
  /**
   * Read in words as well as commands ("deploy … to production"): not applied to acceptance
   * tests, whose paths and names would trip it (`test -s docs/deploy-api-prod/notes.md`).
   */
  prose?: true;
}

/** The rest of one simple command: up to a newline, `;`, `&` or `|`. */
const REST = String.raw`[^\n;&|]*`;
/**
 * Options before a subcommand (`git -C dir push`, `kubectl -n prod delete`, `--context=c`), each
 * with at most one value. Unambiguous on purpose: a value never starts with `-`, and a name
 * takes every word character, so a long line of options cannot make the match backtrack.
 */
const OPTIONS = String.raw`(?:\s+-[\w-]*(?:[=\s](?!-)\S+)?)*`;
/** A short option that holds `letter` (`-r`, `-fr`, `-Rf`), as a whole word. */
const short = (letters: string) => String.raw`-(?!-)[a-zA-Z]*[${letters}][a-zA-Z]*(?![\w./-])`;

/**
 * Destructive or irreversible actions (DESIGN §3), one class per entry, in the forms people write
 * them: options split, grouped, reordered or long, global options before the subcommand.
 * Matched against `run`, the acceptance tests, `agent` and the objective; text quoted in a
 * string still counts (`echo "rm -rf /"` is risky: judging shell quoting is not worth a miss).
 * `rm -r` without `-f` is risky too: a task's commands have no terminal to ask on, so it deletes
 * just the same.
 */
export const RISK_PATTERNS: readonly Pattern[] = [
  // Before rm: `aws s3 rm --recursive` is named for what it deletes.
  {
    name: "cloud delete (aws … delete-…, aws s3 rm --recursive, gcloud/az … delete, gsutil rm -r)",
    test: new RegExp(
      String.raw`\baws\b${REST}\s(?:s3\s+rm\b${REST}\s--recursive\b|s3\s+rb\b|delete-[\w-]+)|\b(?:gcloud|az)\b${REST}\sdelete\b` +
        String.raw`|\bgsutil\b${REST}\s(?:rm\b${REST}\s${short("rR")}|rb\b)`,
    ),
  },
  { name: "recursive delete (rm -r, rm -rf)", test: new RegExp(String.raw`\brm\b${REST}\s(?:${short("rR")}|--recursive\b)`) },
  {
    name: "recursive delete by another tool (find -delete, find -exec rm, xargs rm, rimraf, rmtree, Remove-Item -Recurse, rmdir /s)",
    test: new RegExp(
      String.raw`\bfind\b${REST}\s(?:-delete\b|-exec(?:dir)?\s+(?:\S*/)?rm\b)|\bxargs\b(?:\s+-\S+)*\s+(?:\S*/)?rm\b|\b(?:rimraf|rmtree)\b` +
        String.raw`|\bRemove-Item\b[^\n;|]*\s-Recurse\b|\b(?:rd|rmdir|del)\s+(?:/\w\s+)*/[sS]\b`,
    ),
  },
  { name: "mirror delete (rsync --delete)", test: new RegExp(String.raw`\brsync\b${REST}\s--(?:del|delete(?:-\w+)?|remove-source-files)\b`) },
  {
    name: "force push or remote delete (git push --force, +ref, :ref, --delete)",
    test: new RegExp(String.raw`\bgit${OPTIONS}\s+push\b${REST}\s(?:--force(?:-with-lease|-if-includes)?\b|--delete\b|--mirror\b|--prune\b|${short("fd")}|\+\S|:\S)`),
  },
  {
    name: "discarded work (git reset --hard, git clean -f, git branch -D)",
    test: new RegExp(String.raw`\bgit${OPTIONS}\s+(?:reset\b${REST}\s--hard\b|clean\b${REST}\s(?:${short("f")}|--force\b)|branch\b${REST}\s(?:${short("D")}|--delete\b${REST}\s(?:--force\b|-f\b)))`),
  },
  { name: "SQL DROP/TRUNCATE/DELETE FROM", test: /\b(?:drop\s+(?:temporary\s+)?(?:table|database|schema|index|view|materialized\s+view|user|role|column)|truncate\s+(?:table\s+)?\w+|delete\s+from|dropdb|flushall|flushdb)\b|\bdropDatabase\s*\(/i },
  { name: "terraform destroy/apply", test: new RegExp(String.raw`\b(?:terraform|tofu|terragrunt)(?:\s+-[\w-]*(?:=\S+)?)*\s+(?:run-all\s+)?(?:destroy|apply)\b`) },
  { name: "kubectl delete", test: new RegExp(String.raw`\b(?:kubectl|oc)${OPTIONS}\s+delete\b`) },
  { name: "helm uninstall", test: new RegExp(String.raw`\bhelm${OPTIONS}\s+(?:uninstall|delete)\b`) },
  {
    name: "container data delete (docker prune, docker volume rm, compose down -v)",
    test: new RegExp(String.raw`\b(?:docker|podman)${OPTIONS}\s+(?:(?:system|volume|image|container|builder|network)\s+prune\b|volume\s+rm\b|compose\b${REST}\sdown\b${REST}\s(?:-v\b|--volumes\b))`),
  },
  { name: "deploy, promote or release to production", test: /\b(deploy|promote|release|rollout|ship)\w*\b[^\n;]*\bprod(uction)?\b/i, prose: true },
  { name: "database migration", test: /\b(database\s+migration|run\s+(the\s+)?migrations?)\b/i, prose: true },
  { name: "database migration", test: /\b(db:migrate|migrate\s+(deploy|up|apply)|prisma\s+migrate|alembic\s+upgrade|flyway\s+migrate|knex\s+migrate|rails\s+db:migrate|manage\.py\s+migrate)\b/i },
  { name: "disk wipe (dd of=/dev, mkfs, shred, wipefs)", test: /\b(?:dd\s+[^\n]*of=\/dev\/|mkfs(?:\.\w+)?\s|shred\b|wipefs\b)/ },
];

/** All patterns at once: most texts match none, and one scan settles that (big plans validate fast). */
const anyOf = (patterns: readonly Pattern[]) => new RegExp(patterns.map((pattern) => `(?:${pattern.test.source})`).join("|"), "i");
const ANY_RISK = anyOf(RISK_PATTERNS);
const COMMAND_PATTERNS = RISK_PATTERNS.filter((pattern) => !pattern.prose);
const ANY_COMMAND_RISK = anyOf(COMMAND_PATTERNS);

type Judged = Pick<PlanTask, "run" | "agent" | "objective"> & Partial<Pick<PlanTask, "acceptance_tests">>;

/**
 * Why a task looks risky, or undefined. Only inference: an explicit `risky` flag is the plan's
 * say. `quoted`, when given, is text the task quotes that is judged apart (the plan's
 * objective, see resolveRisk): the task is judged by its own words.
 */
export function inferRisk(task: Judged, quoted?: string): string | undefined {
  // Field by field, with no array of them: this runs for every task of plans of 100k tasks.
  const found = riskIn(task.run, quoted) ?? riskIn(agentPromptOf(task), quoted) ?? riskIn(task.objective, quoted);
  if (found !== undefined || task.acceptance_tests === undefined) return found;
  const tests = task.acceptance_tests;
  for (let i = 0; i < tests.length; i++) {
    const hit = riskIn(tests[i], quoted, ANY_COMMAND_RISK, COMMAND_PATTERNS);
    if (hit !== undefined) return `${hit} (in an acceptance test)`;
  }
  return undefined;
}

function riskIn(text: string | undefined, quoted: string | undefined, any = ANY_RISK, patterns = RISK_PATTERNS): string | undefined {
  if (text === undefined) return undefined;
  const own = quoted !== undefined && text.includes(quoted) ? text.replaceAll(quoted, " ") : text;
  if (!any.test(own)) return undefined;
  const hit = patterns.find((pattern) => pattern.test.test(own));
  return hit && `matches ${hit.name}`;
}

export const CONFIRM_REASON = "the plan gives it a confirmation phrase";

/**
 * The plan as it will be recorded: every risky task marked `risky: true` (explicit, inferred or
 * given a `confirm` phrase, with the reason); the others as the plan had them. `risky: false` in
 * the plan file does not override an inferred risk: a plan cannot talk its way past the gate.
 *
 * A task that quotes the plan's objective (as the built-in planner's do, for context) is judged
 * by its own words, so that "Release 2.4.1 to production" makes the deploy task risky, not the
 * build. Unless no task of the plan takes that step on in its own words: then every task that
 * quotes it is risky, for nothing else would ask for a phrase.
 */
export function resolveRisk(plan: PlanFile): PlanFile {
  const objective = plan.objective;
  const quotedRisks = ANY_RISK.test(objective) ? RISK_PATTERNS.filter((pattern) => pattern.test.test(objective)) : [];
  const quoted = quotedRisks.length > 0 ? objective : undefined;
  /** Tasks that would be risky for their quote of the objective alone. */
  const quoting: number[] = [];
  const tasks = plan.tasks.map((task, i) => {
    // Tasks that stay as they are are not copied: big plans validate within budget (and V8
    // reads fields of spread copies much more slowly, measured 25x here).
    // A task the plan marks risky keeps the plan's word; the plan view lists its grants apart.
    if (task.risky === true) return task;
    const inferred = joined(inferRisk(task, quoted), grantReason(task));
    if (inferred !== undefined) return { ...task, risky: true, risk_reason: inferred };
    if (task.confirm !== undefined) return { ...task, risky: true, risk_reason: CONFIRM_REASON };
    if (quoted !== undefined && quotes(task, quoted)) quoting.push(i);
    return task;
  });
  if (quoting.length === 0) return { ...plan, tasks };
  const untaken = quotedRisks.find((pattern) => !tasks.some((task) => task.risky === true && ownWordsMatch(task, quoted!, pattern)));
  if (untaken === undefined) return { ...plan, tasks };
  const reason = `matches ${untaken.name}, in the plan's objective, which it quotes (no task of the plan takes that step on in its own words)`;
  for (const i of quoting) tasks[i] = { ...tasks[i]!, risky: true, risk_reason: reason };
  return { ...plan, tasks };
}

/**
 * The grants a task asks for, in words ("asks for the network; asks to run without the
 * sandbox"), or undefined. Each makes the task risky: the plan asks, only the approval grants.
 */
export function grantReason(task: Asking): string | undefined {
  if (!asksForGrants(task)) return undefined;
  return grantWords(requestedGrants(task)).join("; ");
}

const joined = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined ? a : `${a}; ${b}`);

function quotes(task: PlanTask, text: string): boolean {
  return task.run?.includes(text) === true || agentPromptOf(task)?.includes(text) === true || task.objective.includes(text) || task.acceptance_tests.some((t) => t.includes(text));
}

function ownWordsMatch(task: PlanTask, quoted: string, pattern: Pattern): boolean {
  const own = (text: string | undefined) => text !== undefined && pattern.test.test(text.replaceAll(quoted, " "));
  return own(task.run) || own(agentPromptOf(task)) || own(task.objective) || (!pattern.prose && task.acceptance_tests.some(own));
}
