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
  /** Starts `peh args` in the background; `line(pattern)` resolves when its output shows it. */
  /** `prefix`: a command that runs it elsewhere (`ip netns exec NAME`, another host). */
  start(args: string[], env?: NodeJS.ProcessEnv, prefix?: string[]): { line(pattern: RegExp): Promise<string>; exit: Promise<number | null>; kill(signal: NodeJS.Signals): void; output(): string[] };
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
      const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
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
      return {
        line: (pattern) =>
          new Promise((resolve) => {
            const seen = lines.find((line) => pattern.test(line));
            if (seen) resolve(seen);
            else waiters.push({ pattern, resolve });
          }),
        exit: new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? (signal ? 128 + 9 : null)))),
        kill: (signal) => child.kill(signal),
        output: () => [...lines],
      };
    },
    remove: dir.remove,
  };
}
