// A `peh serve <service>` process, talked to over its pipes: write a line, read the next line.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface ServiceProcess {
  /** Writes one request line and resolves with the next response line (parsed). */
  ask(line: string | object): Promise<any>;
  /** Writes raw text (no newline added). */
  write(text: string): void;
  /** The next response line (parsed). */
  next(): Promise<any>;
  /** Closes stdin; resolves with the exit code and whatever was left unread. */
  end(): Promise<{ code: number | null; rest: string[]; stderr: string }>;
}

export function startService(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): ServiceProcess {
  const child = spawn(process.execPath, [bin, "serve", ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: "1", ...options.env } });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const next = () =>
    new Promise<any>((resolve) => {
      const take = (line: string) => resolve(JSON.parse(line));
      const queued = lines.shift();
      if (queued !== undefined) take(queued);
      else waiters.push(take);
    });
  return {
    write: (text) => child.stdin.write(text),
    next,
    ask(line) {
      child.stdin.write(`${typeof line === "string" ? line : JSON.stringify(line)}\n`);
      return next();
    },
    async end() {
      child.stdin.end();
      const code = await exit;
      return { code, rest: lines.splice(0), stderr };
    },
  };
}

/** A valid response of either form: an id, and exactly one of result or error (a string in the plain form, {code, message} in 2.0). */
export function isResponse(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  const id = r.id;
  const idOk = id === null || typeof id === "string" || typeof id === "number";
  const one = ("result" in r) !== ("error" in r);
  const error = r.error;
  const errorOk =
    !("error" in r) ||
    (r.jsonrpc === "2.0" ? typeof (error as { code?: unknown })?.code === "number" && typeof (error as { message?: unknown }).message === "string" : typeof error === "string");
  return idOk && one && errorOk;
}
