// `--planner claude|codex|gemini|opencode`: the agent CLI plans. It is asked, on stdin, for
// TaskPackets as a JSON array (with the JSON Schema of one packet), given the contract's context:
// the workspace's git status, its test command and its top-level layout. Its final result is
// read from its stream like a worker's, and the packets are validated with the plan-file schemas;
// an answer that does not validate fails with every problem listed, and nothing is recorded.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { z } from "zod";
import { PehError, type AgentCli, type PlanFile } from "../../events/index.js";
import { timer } from "../execution/delay.js";
import { packetsToPlan, PlannedPacketSchema } from "../planning/external-planner.js";
import { adapterFor, agentCommandLine } from "./index.js";
import { AgentStream } from "./stream.js";

export interface AgentPlannerOptions {
  cli: Exclude<AgentCli, "generic">;
  /** The program (and flags) to start; the CLI's own name unless given. */
  command?: string;
  cwd?: string;
  timeoutMs?: number;
}

/** The contract's `context`: git status, test command, top-level layout. */
export function planningContext(cwd: string, test_command: string | undefined): Record<string, unknown> {
  const git = spawnSync("git", ["status", "--short", "--branch"], { cwd, encoding: "utf8" });
  let layout: string[] = [];
  try {
    layout = readdirSync(cwd, { withFileTypes: true }).filter((e) => e.name !== ".git" && e.name !== ".peh").map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort().slice(0, 200);
  } catch {
    // no layout to give
  }
  return { git_status: git.status === 0 ? git.stdout.trim() : null, ...(test_command ? { test_command } : {}), layout };
}

export function planPrompt(objective: string, context: Record<string, unknown>, feedback?: { packets: unknown; feedback: string }): string {
  return [
    "You are planning work for peh, a planning-execution harness. Do not change any file.",
    "Answer with ONLY a JSON array of TaskPackets (no prose, no code fence), each matching this JSON Schema:",
    JSON.stringify(z.toJSONSchema(PlannedPacketSchema, { io: "input", unrepresentable: "any" })),
    "Each packet: objective, scope (workspace | module | single_file | custom), scope_path (unless workspace), acceptance_tests (shell commands that pass when it is done), and an `agent` prompt or a `run` command.",
    `Objective: ${objective}`,
    `Context: ${JSON.stringify(context)}`,
    ...(feedback ? [`Current packets: ${JSON.stringify(feedback.packets)}`, `Revise them with this feedback: ${feedback.feedback}`] : []),
  ].join("\n");
}

/** The JSON array in an answer: the whole text, or a fenced block, or from its first `[` to its last `]`. */
export function answerJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text)?.[1];
  for (const candidate of [text, fenced, text.slice(text.indexOf("["), text.lastIndexOf("]") + 1)]) {
    if (!candidate?.trim()) continue;
    try {
      return JSON.parse(candidate);
    } catch {
      // the next candidate
    }
  }
  return undefined;
}

/** Runs the CLI once with `prompt` on stdin; its final result's text. */
async function ask(options: AgentPlannerOptions, prompt: string): Promise<string> {
  const adapter = adapterFor(options.cli);
  const command = agentCommandLine(adapter, options.command, {})!;
  const stream = new AgentStream(adapter);
  const fail = (what: string) => new PehError("PLANNER_FAILED", `planner ${options.cli} (\`${command}\`) ${what}; nothing was recorded`, `check the CLI on its own: echo "say hi" | ${command}`);
  const child = spawn("/bin/sh", ["-c", command], { cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"], detached: true });
  let pending = "";
  child.stdout.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    let at;
    while ((at = pending.indexOf("\n")) >= 0) {
      stream.line(pending.slice(0, at));
      pending = pending.slice(at + 1);
    }
  });
  child.stderr.resume();
  child.stdin.on("error", () => undefined);
  child.stdin.end(prompt);
  let stopTimer = () => {};
  const code = await new Promise<number | null>((resolve, reject) => {
    stopTimer = timer(options.timeoutMs ?? 600_000, () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
      reject(fail(`did not answer within ${options.timeoutMs ?? 600_000} ms`));
    });
    child.on("error", (error) => reject(fail(`could not start (${error.message})`)));
    child.on("close", (exit) => resolve(exit));
  }).finally(() => stopTimer());
  if (pending) stream.line(pending);
  const report = stream.finish(code, (t) => t);
  if (!report.result) throw fail(`ended (exit ${code}) without its final result`);
  if (report.result.is_error) throw fail(`answered with an error: ${report.result.text.slice(0, 300)}`);
  return report.result.text;
}

/** The packets of an answer as a plan, or a PLANNER_FAILED listing every problem. */
function planOf(objective: string, text: string, cli: string): PlanFile {
  const json = answerJson(text);
  if (json === undefined) throw new PehError("PLANNER_FAILED", `planner ${cli} answered without a JSON array of TaskPackets: ${text.slice(0, 200)}; nothing was recorded`, `ask again, or plan from a file: peh plan --from plan.yaml`);
  const packets = z.array(PlannedPacketSchema).min(1).safeParse(json);
  if (!packets.success) {
    const problems = packets.error.issues.map((issue) => `${issue.path.join(".") || "answer"}: ${issue.message}`);
    throw new PehError(
      "PLANNER_FAILED",
      `planner ${cli} returned packets that do not fit the plan schema (${problems.length} ${problems.length === 1 ? "problem" : "problems"}): ${problems.join("; ")}; nothing was recorded`,
      "each packet needs objective, scope, scope_path (unless scope is workspace) and acceptance_tests; ask again or plan from a file",
      { problems },
    );
  }
  return packetsToPlan(objective, packets.data, cli);
}

export function agentPlannerCalls(options: AgentPlannerOptions) {
  return {
    decompose: async (objective: string, test_command: string | undefined) =>
      planOf(objective, await ask(options, planPrompt(objective, planningContext(options.cwd ?? process.cwd(), test_command))), options.cli),
    refine: async (plan: PlanFile, feedback: string) =>
      planOf(plan.objective, await ask(options, planPrompt(plan.objective, planningContext(options.cwd ?? process.cwd(), undefined), { packets: plan.tasks, feedback })), options.cli),
  };
}
