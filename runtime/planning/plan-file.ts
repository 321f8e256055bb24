// Reads a plan file (YAML or JSON: JSON is YAML) and reports syntax errors and schema violations
// as problems that point at the line and field, so a user can fix the file from the message.
import { readFile } from "node:fs/promises";
import { LineCounter, isNode, parseDocument } from "yaml";
import { PehError, PlanFileSchema, PlanTaskSchema, type PlanFile, type Problem } from "../../events/index.js";
import { closest, EXAMPLE_TASK } from "./validate.js";
import { locateInJson } from "./json-locate.js";

export interface LoadedPlanFile {
  plan: PlanFile | undefined;
  problems: Problem[];
  /** The file's value, when it was read but failed the schema: what can still be validated. */
  value?: unknown;
  /** The line of a field, for later validation problems. */
  locate(path: (string | number)[]): number | undefined;
}

export async function readPlanFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PehError(
      "PLAN_NOT_FOUND",
      code === "ENOENT" ? `plan file ${path} does not exist` : `cannot read plan file ${path} (${code})`,
      "check the path given to --from",
    );
  }
}

const render = (path: PropertyKey[]) =>
  path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join("");

export function parsePlanSource(source: string): LoadedPlanFile {
  return validJsonPlan(source) ?? parseYamlPlan(source);
}

/**
 * A JSON plan that is valid as it stands, read with JSON.parse: the YAML parser took ~0.6 s of a
 * 500-task plan's `peh run --from`. A later problem's line is read off the text
 * (`locateInJson`), as the YAML document would give it. Anything else (YAML, a syntax error, a
 * duplicate key, which JSON.parse would keep silently, a schema problem) is undefined: the YAML
 * path reports it.
 */
function validJsonPlan(source: string): LoadedPlanFile | undefined {
  if (!/^\s*\{/.test(source)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch {
    return undefined;
  }
  if (membersWritten(source) !== membersKept(json) || unknownFields(json).length > 0) return undefined;
  const parsed = PlanFileSchema.safeParse(json);
  if (!parsed.success) return undefined;
  return { plan: parsed.data, problems: [], locate: (path) => locateInJson(source, path) };
}

/** How many object members (`"key":`) JSON text writes: more than JSON.parse kept means a duplicate key. */
function membersWritten(text: string): number {
  let members = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 34) continue; // a string starts
    for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    let next = i + 1;
    while (next < text.length && /\s/.test(text[next]!)) next++;
    if (text[next] === ":") members++;
  }
  return members;
}

function membersKept(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + membersKept(item), 0);
  if (!isRecord(value)) return 0;
  let members = 0;
  for (const key of Object.keys(value)) members += 1 + membersKept(value[key]);
  return members;
}

/** Exported for the test that holds `locateInJson` to the YAML document's lines. */
export function parseYamlPlan(source: string): LoadedPlanFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const locate = (path: (string | number)[]): number | undefined => {
    // The field itself, else the closest parent that exists (a missing field points at its owner).
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const syntax = document.errors.map(
    (error): Problem => ({
      severity: "error",
      code: "SYNTAX",
      ...(error.linePos ? { line: error.linePos[0].line } : {}),
      message: `the plan file is not valid YAML or JSON: ${error.message.split("\n")[0]}`,
      fix: "fix the syntax at that line (indentation, a missing quote, colon or bracket)",
    }),
  );
  if (syntax.length > 0) return { plan: undefined, problems: syntax, locate };
  let json: unknown;
  try {
    // Parsing succeeded, but building the value can still fail (an alias to an anchor not set yet).
    json = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    return {
      plan: undefined,
      problems: [{ severity: "error", code: "SYNTAX", message: `the plan file is not valid YAML or JSON: ${message}`, fix: "remove the alias (*name) or set its anchor (&name) before it" }],
      locate,
    };
  }
  const problem = (path: (string | number)[], message: string, fix: string): Problem => {
    const line = locate(path);
    const taskIndex = path[0] === "tasks" && typeof path[1] === "number" ? path[1] : undefined;
    const taskId = taskIndex === undefined ? undefined : (document.getIn(["tasks", taskIndex, "id"]) as unknown);
    return {
      severity: "error",
      code: "SCHEMA",
      ...(typeof taskId === "string" ? { task_id: taskId } : {}),
      path: render(path) || "(top level)",
      ...(line === undefined ? {} : { line }),
      message,
      fix,
    };
  };
  if (json === null || json === undefined) {
    return { plan: undefined, problems: [{ severity: "error", code: "SCHEMA", message: "the plan file is empty", fix: `write a plan: its objective and tasks, e.g. objective: "Release saas-backend 2.4.1" and tasks: [${EXAMPLE_TASK}]` }], locate };
  }
  const schemaProblem = (path: (string | number)[], code: string, message: string): Problem => {
    // A field that is not there at all: zod's words ("expected string, received undefined",
    // or the list of a scope's values) would not say so.
    const owner = path.length > 0 ? valueAt(json, path.slice(0, -1)) : undefined;
    if (isRecord(owner) && !(String(path.at(-1)) in owner)) {
      const whose = path[0] === "tasks" && path.length === 3 ? "the task" : "the plan";
      return problem(path, `${render(path)}: missing (${whose} needs it)`, `add ${String(path.at(-1))}${exampleOf(path)}`);
    }
    return problem(path, `${render(path) || "the plan"}: ${message}`, schemaFix(path, code, valueAt(json, path)));
  };
  const parsed = PlanFileSchema.safeParse(json);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => schemaProblem(issue.path as (string | number)[], issue.code, issue.message));
  // The schema drops a field it does not know; in a file a human wrote that is a typo (depend_on
  // for depends_on would silently drop a dependency), so it is an error with a did-you-mean.
  for (const { path, known, owner } of unknownFields(json)) {
    const guess = closest(String(path.at(-1)), known);
    problems.push(problem(path, `${render(path)}: not a field of ${owner}`, guess ? `did you mean "${guess}"?` : `remove it, or check its spelling (the fields of ${owner}: ${known.join(", ")})`));
  }
  if (problems.length === 0 && parsed.success) return { plan: parsed.data, problems: [], locate };
  return { plan: undefined, problems, locate, value: json };
}

const PLAN_FIELDS = Object.keys(PlanFileSchema.shape);
const TASK_FIELDS = Object.keys(PlanTaskSchema.shape);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** The value at `path` in parsed YAML or JSON, or undefined. */
function valueAt(value: unknown, path: (string | number)[]): unknown {
  let at = value;
  for (const part of path) at = typeof at === "object" && at !== null ? (at as Record<string | number, unknown>)[part] : undefined;
  return at;
}

interface UnknownField {
  path: (string | number)[];
  /** The fields its owner may have. */
  known: string[];
  owner: "a plan" | "a task";
}

/** Every field of the plan and of its tasks that the plan format does not have. */
function unknownFields(json: unknown): UnknownField[] {
  const found: UnknownField[] = [];
  if (!isRecord(json)) return found;
  for (const key of Object.keys(json)) if (!PLAN_FIELDS.includes(key)) found.push({ path: [key], known: PLAN_FIELDS, owner: "a plan" });
  const tasks = Array.isArray(json.tasks) ? json.tasks : [];
  tasks.forEach((task: unknown, i) => {
    if (!isRecord(task)) return;
    for (const key of Object.keys(task)) if (!TASK_FIELDS.includes(key)) found.push({ path: ["tasks", i, key], known: TASK_FIELDS, owner: "a task" });
  });
  return found;
}

function schemaFix(path: PropertyKey[], code: string, value: unknown): string {
  const field = String(path.at(-1) ?? "");
  // YAML reads `id: 1` as a number and `idempotent: no` as text (YAML 1.2 has only true/false).
  if (typeof value === "number" && (field === "id" || path.at(-2) === "depends_on")) return `quote it: "${value}" (YAML reads ${value} as a number)`;
  if (code === "invalid_type" && ["risky", "idempotent"].includes(field)) return "write true or false";
  if (field === "scope") return "scope is one of: workspace, module, single_file, custom";
  if (field === "timeout" || field === "task_timeout" || path.includes("delays")) return "write durations like 250ms, 5s, 10m, 1h, 2d or 1h30m";
  // YAML reads `PORT: 8080` as a number and `DEBUG: true` as a boolean; a variable holds text.
  if (path.at(-2) === "env" && code === "invalid_type") return `quote the value: "${String(value)}" (an environment variable holds text)`;
  if (field === "id" || path.at(-2) === "depends_on") return "ids start with an ASCII letter or digit and hold ASCII letters (a-z, A-Z), digits, '.', '_' or '-'";
  if (code === "invalid_type") return `give ${field || "it"} the type the plan format expects${exampleOf(path)}`;
  if (code === "unrecognized_keys") return "remove the unknown field, or check its spelling";
  return `write it as the plan format has it${exampleOf(path)}`;
}

/**
 * How a field is written, inline: a fix must not send the user to a file that only peh's own
 * repository has (examples/ is not in their workspace).
 */
const FIELD_EXAMPLES: Record<string, string> = {
  objective: 'objective: "Compile TypeScript to dist/"',
  tasks: `tasks: [${EXAMPLE_TASK}]`,
  id: "id: build",
  scope: "scope: workspace (or module, single_file or custom, with a scope_path)",
  scope_path: "scope_path: src/dashboard",
  acceptance_tests: 'acceptance_tests: ["test -f dist/index.js"]',
  depends_on: "depends_on: [build]",
  run: 'run: "npm run build"',
  agent: 'agent: "Write docs/notes.md: what changed and why"',
  confirm: 'confirm: "deploy 2.4.1 to production"',
  timeout: "timeout: 10m",
  recovery: "recovery: { transient: { max_retries: 2, delays: [5s, 30s] } }",
  classify: 'classify: [{ match: "quota exceeded", class: transient }]',
  commit_policy: 'commit_policy: "one commit per task"',
  escalation_policy: 'escalation_policy: "ask the on-call engineer"',
};

/** `, e.g. <the field written out>` for the field at `path` (or its list), or nothing. */
function exampleOf(path: PropertyKey[]): string {
  const field = [...path].reverse().find((part): part is string => typeof part === "string");
  const example = field === undefined ? `a task: ${EXAMPLE_TASK}` : FIELD_EXAMPLES[field];
  return example === undefined ? "" : `, e.g. ${example}`;
}

export async function loadPlanFile(path: string): Promise<LoadedPlanFile> {
  return parsePlanSource(await readPlanFile(path));
}
