// Rendering helpers shared by the commands: JSON or text, colors only on a TTY without NO_COLOR.
import pc from "picocolors";
import { PehError, type Problem } from "../events/index.js";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colors only for a terminal, and never when NO_COLOR is set. */
  color: boolean;
  /** On an interactive terminal: writes text as is (no newline), for a live view redrawn in place. */
  live?: (text: string) => void;
}

export function processIo(): Io {
  const color = Boolean(process.stdout.isTTY) && !("NO_COLOR" in process.env) && process.env.TERM !== "dumb";
  return {
    out: (text) => process.stdout.write(text.endsWith("\n") ? text : text + "\n"),
    err: (text) => process.stderr.write(text.endsWith("\n") ? text : text + "\n"),
    color,
    ...(process.stdout.isTTY && process.env.TERM !== "dumb" ? { live: (text: string) => void process.stdout.write(text) } : {}),
  };
}

export function paint(io: Io) {
  const wrap = (fn: (text: string) => string) => (text: string) => (io.color ? fn(text) : text);
  return { bold: wrap(pc.bold), dim: wrap(pc.dim), red: wrap(pc.red), green: wrap(pc.green), yellow: wrap(pc.yellow), cyan: wrap(pc.cyan) };
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** An error as the user sees it: what went wrong, then how to fix it. */
export function renderError(io: Io, error: PehError, json: boolean): void {
  if (json) {
    printJson(io, { error: error.toJSON() });
    return;
  }
  const p = paint(io);
  io.err(`${p.red("error")} ${error.message}`);
  for (const problem of problemsOf(error)) {
    const where = [problem.task_id ? `task ${problem.task_id}` : undefined, problem.line ? `line ${problem.line}` : undefined].filter(Boolean).join(", ");
    io.err(`  ${problem.severity === "error" ? p.red(problem.severity) : p.yellow(problem.severity)} ${problem.code}${where ? ` (${where})` : ""}: ${problem.message}`);
    io.err(`        fix: ${problem.fix}`);
  }
  if (error.hint) io.err(`${p.dim("hint")}  ${error.hint}`);
}

/** The plan problems an error carries (PLAN_INVALID), if any. */
export function problemsOf(error: PehError): Problem[] {
  const details = error.details as { problems?: Problem[] } | undefined;
  return Array.isArray(details?.problems) ? details.problems : [];
}
