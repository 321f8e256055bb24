// Rendering helpers shared by the commands: JSON or text, colors only on a TTY without NO_COLOR.
// With --json, stdout holds one JSON document and nothing else (JSON lines for `peh log`): text
// meant for people goes to stderr, and an error that stops a command joins its document.
import pc from "picocolors";
import { PehError, type Problem } from "../events/index.js";

/** A command's machine output: an object (merged when given in parts) or a list. */
export type JsonDocument = object;

/** An error as --json prints it: `{"error": {code, message, hint}}`. */
export interface JsonError {
  code: string;
  message: string;
  hint?: string | undefined;
  details?: unknown;
}

export interface Io {
  /** Text for people. With --json it goes to stderr, so that stdout holds only the JSON. */
  out(text: string): void;
  err(text: string): void;
  /** Colors only for a terminal, and never when NO_COLOR is set. */
  color: boolean;
  /** On an interactive terminal: writes text as is (no newline), for a live view redrawn in place. */
  live?: (text: string) => void;
  /**
   * The command's machine output, written as one JSON document when the command ends. Objects
   * given in turn are merged (`peh run --from` gives its plan, then its outcome), so an error that
   * stops the command later still leaves one document, with the error in it.
   */
  document(value: JsonDocument): void;
  /** One compact JSON object on a line of its own, written at once: JSON lines (`peh log --json`). */
  line(value: object): void;
}

/** The Io of one command run: `end` writes what --json holds back. */
export interface Output extends Io {
  /** Records the error that stopped the command, for its document. */
  fail(error: JsonError): void;
  /** Writes the document (with the error, if any). Once, when the command has ended. */
  end(): void;
}

export interface Sink {
  stdout(text: string): void;
  stderr(text: string): void;
}

const withNewline = (text: string) => (text.endsWith("\n") ? text : text + "\n");

export function createOutput(sink: Sink, options: { json: boolean; color: boolean; live?: (text: string) => void }): Output {
  let document: JsonDocument | undefined;
  let error: JsonError | undefined;
  return {
    out: (text) => (options.json ? sink.stderr(withNewline(text)) : sink.stdout(withNewline(text))),
    err: (text) => sink.stderr(withNewline(text)),
    color: options.color,
    ...(options.live && !options.json ? { live: options.live } : {}),
    document(value) {
      document = Array.isArray(value) || document === undefined || Array.isArray(document) ? value : { ...document, ...value };
    },
    line: (value) => sink.stdout(`${JSON.stringify(value)}\n`),
    fail(failure) {
      error = failure;
    },
    end() {
      if (error && options.json) {
        // An error alone is one compact line: one document, and one line of a JSON-lines stream.
        const merged = document && !Array.isArray(document) ? { ...document, error } : undefined;
        sink.stdout(merged ? `${JSON.stringify(merged, null, 2)}\n` : `${JSON.stringify({ error })}\n`);
      } else if (document !== undefined) {
        sink.stdout(`${JSON.stringify(document, null, 2)}\n`);
      }
      document = undefined;
      error = undefined;
    },
  };
}

export function processIo(options: { json: boolean } = { json: false }): Output {
  const terminal = Boolean(process.stdout.isTTY) && process.env.TERM !== "dumb";
  return createOutput(
    { stdout: (text) => void process.stdout.write(text), stderr: (text) => void process.stderr.write(text) },
    {
      json: options.json,
      color: terminal && !("NO_COLOR" in process.env),
      ...(terminal ? { live: (text: string) => void process.stdout.write(text) } : {}),
    },
  );
}

export function paint(io: Pick<Io, "color">) {
  const wrap = (fn: (text: string) => string) => (text: string) => (io.color ? fn(text) : text);
  return { bold: wrap(pc.bold), dim: wrap(pc.dim), red: wrap(pc.red), green: wrap(pc.green), yellow: wrap(pc.yellow), cyan: wrap(pc.cyan) };
}

/** The command's --json document (see `Io.document`). */
export function printJson(io: Io, value: JsonDocument): void {
  io.document(value);
}

/** An error as the user sees it: what went wrong, then how to fix it (with --json, in the document). */
export function renderError(io: Output, error: PehError, json: boolean): void {
  if (json) {
    io.fail(error.toJSON());
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
