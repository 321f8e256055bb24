// A temporary workspace with its own store and its own user config (XDG_CONFIG_HOME), so tests
// never read or write the real user's trust roots.
import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { peh, type CliResult } from "./cli.js";
import { tempDir } from "./temp-dir.js";

const bin = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface Workspace {
  path: string;
  env: NodeJS.ProcessEnv;
  peh(...args: string[]): CliResult;
  write(name: string, text: string): Promise<void>;
  read(name: string): Promise<string>;
  /**
   * Starts `peh args` in the background; `line(pattern)` resolves when its output shows it, and
   * rejects (quoting the output) when the process ends without showing it: a test waiting on a
   * line peh never prints fails at once with peh's words, not at its timeout. `lines()`: every
   * line so far (stdout and stderr as they came). `prefix`: a command that runs it elsewhere
   * (`ip netns exec NAME`, another host).
   */
  start(args: string[], env?: NodeJS.ProcessEnv, prefix?: string[]): { line(pattern: RegExp): Promise<string>; lines(): readonly string[]; exit: Promise<number | null>; kill(signal: NodeJS.Signals): void };
  remove(): Promise<void>;
}

export async function workspace(): Promise<Workspace> {
  const dir = await tempDir();
  const path = join(dir.path, "ws");
  await mkdir(path);
  const env: NodeJS.ProcessEnv = { XDG_CONFIG_HOME: join(dir.path, "config"), PEH_ACTOR: "", PEH_TRUST_ROOTS: "" };
  return {
    path,
    env,
    peh: (...args) => peh(args, { cwd: path, env }),
    write: (name, text) => writeFile(join(path, name), text),
    read: (name) => readFile(join(path, name), "utf8").catch(() => ""),
    start(args, extra = {}, prefix = []) {
      const [command, ...rest] = [...prefix, process.execPath, bin, ...args];
      const child = spawn(command!, rest, { cwd: path, env: { ...process.env, NO_COLOR: "1", ...env, ...extra } });
      const lines: string[] = [];
      const waiters: { pattern: RegExp; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
      let ended: string | undefined;
      const feed = (line: string) => {
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (waiter.pattern.test(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      };
      createInterface({ input: child.stdout }).on("line", feed);
      createInterface({ input: child.stderr }).on("line", feed);
      const missed = (pattern: RegExp) => new Error(`peh ${args.join(" ")} ${ended} without printing a line matching ${pattern}; it printed:\n${lines.join("\n")}`);
      // "close": every line of its output has been fed by then.
      const exit = new Promise<number | null>((resolve) =>
        child.on("close", (code, signal) => {
          ended = `exited (${code ?? signal})`;
          for (const waiter of waiters.splice(0)) waiter.reject(missed(waiter.pattern));
          resolve(code ?? (signal ? 128 + 9 : null));
        }),
      );
      return {
        line: (pattern) =>
          new Promise((resolve, reject) => {
            const seen = lines.find((line) => pattern.test(line));
            if (seen) resolve(seen);
            else if (ended !== undefined) reject(missed(pattern));
            else waiters.push({ pattern, resolve, reject });
          }),
        lines: () => lines,
        exit,
        kill: (signal) => child.kill(signal),
      };
    },
    remove: dir.remove,
  };
}
