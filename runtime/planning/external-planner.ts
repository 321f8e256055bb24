// A planner in any language: `--planner "cmd:<command>"` spawns the command and speaks the
// planning contract of DESIGN §8 over its stdin/stdout (one JSON request line, one response
// line). Its answer is validated with the same schemas as a plan file. A planner that dies,
// says something else or takes too long is killed (its whole process group) and reported.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { z } from "zod";
import { PehError, PlanFileSchema, PlanTaskSchema, TaskIdSchema, type PlanFile } from "../../events/index.js";
import { timer } from "../execution/delay.js";

/** What a planner may return for each packet: the public TaskPacket, plus peh's optional fields. */
export const PlannedPacketSchema = PlanTaskSchema.extend({ id: TaskIdSchema.optional(), depends_on: z.array(TaskIdSchema).optional() });

const ResponseSchema = z.union([
  z.object({ id: z.unknown(), result: z.unknown() }),
  z.object({ id: z.unknown(), error: z.union([z.string(), z.object({ code: z.number().optional(), message: z.string() })]) }),
]);

export interface ExternalPlannerOptions {
  command: string;
  timeoutMs?: number;
  cwd?: string;
}

/** One request, one response: spawn, write, read the answering line, stop the process. */
export async function callPlanner(options: ExternalPlannerOptions, method: string, params: unknown): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn("/bin/sh", ["-c", options.command], { cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"], detached: true });
  const stop = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-2000)));
  const fail = (what: string) =>
    new PehError(
      "PLANNER_FAILED",
      `planner \`${options.command}\` ${what}${stderr.trim() ? `; it said: ${stderr.trim().split("\n").slice(-3).join(" | ")}` : ""}`,
      "check the planner on its own: echo '{\"id\":\"1\",\"method\":\"decompose\",\"params\":{\"objective\":\"…\"}}' | <command>",
    );
  const request = { id: "1", method, params };
  let stopTimer = () => {};
  try {
    return await new Promise<unknown>((resolve, reject) => {
      stopTimer = timer(timeoutMs, () => reject(fail(`did not answer within ${timeoutMs} ms`)));
      const lines = createInterface({ input: child.stdout });
      lines.on("line", (line) => {
        if (line.trim() === "") return;
        let json: unknown;
        try {
          json = JSON.parse(line);
        } catch {
          return reject(fail(`answered with a line that is not JSON: ${line.slice(0, 120)}`));
        }
        const response = ResponseSchema.safeParse(json);
        if (!response.success) return reject(fail(`answered without "result" or "error": ${line.slice(0, 120)}`));
        if ("error" in response.data) {
          const error = response.data.error;
          return reject(fail(`refused: ${typeof error === "string" ? error : error.message}`));
        }
        resolve(response.data.result);
      });
      child.on("error", (error) => reject(fail(`could not start (${error.message})`)));
      // `close`, not `exit`: it comes after stdout is drained, so an answer written just before
      // the planner exited has been read by then.
      child.on("close", (code, signal) => reject(fail(`exited (${signal ?? `code ${code}`}) without answering`)));
      child.stdin.on("error", () => undefined); // a planner that closes stdin early is caught by exit
      child.stdin.end(JSON.stringify(request) + "\n");
    });
  } finally {
    stopTimer();
    stop();
  }
}

/** Planner packets → a plan. Without ids or dependencies, packets run in the order given. */
export function packetsToPlan(objective: string, result: unknown, command: string): PlanFile {
  const packets = z.array(PlannedPacketSchema).min(1).safeParse(result);
  if (!packets.success) {
    const issue = packets.error.issues[0];
    throw new PehError(
      "PLANNER_FAILED",
      `planner \`${command}\` returned packets that do not fit the contract: ${issue?.path.join(".") || "result"}: ${issue?.message}`,
      "each packet needs objective, scope, scope_path (unless scope is workspace) and acceptance_tests",
    );
  }
  const anyDependencies = packets.data.some((packet) => packet.depends_on !== undefined);
  const ids = packets.data.map((packet, i) => packet.id ?? `task-${i + 1}`);
  return PlanFileSchema.parse({
    objective,
    tasks: packets.data.map((packet, i) => ({
      ...packet,
      id: ids[i],
      depends_on: anyDependencies ? (packet.depends_on ?? []) : i === 0 ? [] : [ids[i - 1]],
    })),
  });
}
