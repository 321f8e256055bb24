// Fuzzing the two inputs peh takes from outside: plan files and RPC lines. Random and mutated
// plan files never crash peh: each is recorded (valid) or refused with a clear PehError naming
// the problem, and nothing is recorded for a refused one (exit 2 from the binary, sampled).
// Random RPC lines are each answered with a valid response.
import { fc } from "@fast-check/vitest";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { InMemoryEventStore } from "../../events/adapters.js";
import { isPehError } from "../../events/index.js";
import { createRun } from "../../runtime/gate/gate.js";
import { planningService } from "../../runtime/rpc/planning-service.js";
import { answerLine } from "../../runtime/rpc/protocol.js";
import { peh } from "../support/cli.js";
import { isResponse } from "../support/service.js";
import { tempDir } from "../support/temp-dir.js";
import { scale, summary } from "./scale.js";

const good = {
  objective: "Release the service",
  tasks: [
    { id: "build", objective: "Compile to dist/", scope: "workspace", run: "make", acceptance_tests: ["test -f dist/app.js"] },
    { id: "test", objective: "Run the unit tests", scope: "module", scope_path: "src", depends_on: ["build"], run: "make test", acceptance_tests: ["true"] },
    { id: "deploy", objective: "Deploy to production", scope: "workspace", depends_on: ["test"], run: "./deploy.sh", acceptance_tests: ["true"], risky: true, confirm: "ship it" },
  ],
};

/** A valid plan with one random field replaced, removed or added somewhere. */
const mutated = fc
  .tuple(fc.constantFrom("objective", "tasks", "recovery", "classify", "extra"), fc.nat(2), fc.constantFrom("id", "objective", "scope", "scope_path", "depends_on", "run", "acceptance_tests", "risky", "timeout", "recovery", "idempotent", "bogus"), fc.anything(), fc.boolean())
  .map(([top, index, field, value, remove]) => {
    const plan = structuredClone(good) as Record<string, unknown> & { tasks: Record<string, unknown>[] };
    if (top === "tasks") {
      const task = plan.tasks[index]!;
      if (remove) delete task[field];
      else task[field] = value;
    } else if (remove) delete plan[top];
    else plan[top] = value;
    return plan;
  });
const source = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.json(),
  mutated.map((plan) => JSON.stringify(plan)),
  mutated.map((plan) => {
    try {
      return stringify(plan);
    } catch {
      return JSON.stringify(plan);
    }
  }),
);

describe("torture › fuzzing", () => {
  const files = scale(10_000, 400);
  it(`${files} random and mutated plan files: recorded, or refused with a clear error and nothing recorded`, { timeout: 1_800_000 }, async () => {
    const dir = await tempDir();
    let recorded = 0;
    let refused = 0;
    const samples: string[] = [];
    try {
      await fc.assert(
        fc.asyncProperty(source, async (text) => {
          const store = new InMemoryEventStore();
          await writeFile(join(dir.path, "plan.yaml"), text);
          try {
            await createRun(store, { workspace: dir.path, from: "plan.yaml" });
            recorded++;
            expect((await store.listRuns()).length).toBe(1);
          } catch (error) {
            expect(isPehError(error), `not a PehError: ${String(error)}`).toBe(true);
            expect((error as Error).message.length).toBeGreaterThan(10);
            expect((await store.listRuns()).length).toBe(0);
            refused++;
            if (samples.length < 10) samples.push(text);
          }
        }),
        { numRuns: files },
      );
      // The binary says the same with exit 2, and records nothing.
      for (const [i, text] of samples.entries()) {
        await writeFile(join(dir.path, `bad${i}.yaml`), text);
        const result = peh(["plan", "--from", `bad${i}.yaml`, "--store", join(dir.path, ".peh")], { cwd: dir.path });
        expect(result.code, text).toBe(2);
        expect(result.stderr).toMatch(/^error /);
      }
      // Nothing recorded: no store was made (a store named with --store must exist to be listed), or it holds no run.
      const store = join(dir.path, ".peh");
      expect(existsSync(store) ? peh(["runs", "--json", "--store", store], { cwd: dir.path }).stdout.trim() : "[]").toBe("[]");
      summary(`plan file fuzzing: ${files}/${files} answered (${recorded} recorded, ${refused} refused with a clear error, nothing recorded for them)`);
    } finally {
      await dir.remove();
    }
  });

  const lines = scale(10_000, 1_000);
  it(`${lines} random RPC lines: each answered with a valid response`, { timeout: 1_800_000 }, async () => {
    const service = planningService();
    let answered = 0;
    const request = fc.record(
      {
        jsonrpc: fc.constantFrom("2.0", "1.0"),
        id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.object()),
        method: fc.oneof(fc.constantFrom("decompose", "refine", "__proto__", "hasOwnProperty"), fc.string()),
        params: fc.oneof(fc.anything(), fc.record({ objective: fc.string(), packets: fc.anything(), feedback: fc.string() })),
      },
      { requiredKeys: ["method"] },
    );
    const line = fc.oneof(fc.string({ maxLength: 300 }), fc.json(), request.map((r) => JSON.stringify(r)), fc.array(request, { maxLength: 3 }).map((b) => JSON.stringify(b))).map((t) => t.replace(/[\r\n]/g, " "));
    await fc.assert(
      fc.asyncProperty(line, async (text) => {
        const answer = await answerLine(service, text);
        if (answer === undefined) {
          // Only a blank line or notifications go unanswered.
          expect(text.trim() === "" || text.includes('"2.0"')).toBe(true);
        } else {
          const parsed = JSON.parse(answer) as unknown;
          for (const response of Array.isArray(parsed) ? parsed : [parsed]) expect(isResponse(response), answer).toBe(true);
        }
        answered++;
      }),
      { numRuns: lines },
    );
    summary(`RPC line fuzzing: ${answered}/${lines} lines answered with valid responses`);
  });
});
