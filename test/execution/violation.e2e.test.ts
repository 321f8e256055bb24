// A sandbox's refusal through the whole attempt: classified permission, its hint in the
// PERMISSION_REQUIRED a human reads and on the terminal, and never retried. The confinement comes
// from the run (the sandbox's profile of the attempt); here a run that says the attempt had none.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import type { PlanTask } from "../../events/index.js";
import type { Confinement } from "../../runtime/execution/failure/classify.js";
import { Orchestrator, type ExecuteOptions, type ProgressLine } from "../../runtime/execution/orchestrator.js";
import { approveRun, createRun } from "../../runtime/gate/gate.js";
import { tempDir } from "../support/temp-dir.js";

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => dir.remove());

/** A run whose attempts say they ran sandboxed without network. */
class Offline extends Orchestrator {
  constructor(options: ExecuteOptions, private readonly root: string) {
    super(options);
  }

  override confinementOf(_task: PlanTask, _attempt: number): Confinement {
    return { sandboxed: true, network: false, writable: [join(this.root, "src")], cwd: this.root };
  }
}

async function runFetch(confined: boolean) {
  const workspace = join(dir.path, confined ? "offline" : "plain");
  await mkdir(workspace, { recursive: true });
  const run = "echo 'curl: (6) Could not resolve host: example.com' >&2; exit 6";
  const plan = { objective: "Fetch feed.xml", recovery: { transient: { max_retries: 1, delays: ["10ms"] } }, tasks: [{ id: "fetch", objective: "Fetch feed.xml", scope: "workspace", run }] };
  await writeFile(join(workspace, "plan.json"), JSON.stringify(plan));
  const store = new LowdbEventStore(join(workspace, ".peh"));
  const created = await createRun(store, { workspace, from: join(workspace, "plan.json") });
  await approveRun(store, created.run_id, { actor: "ana", confirmations: [] });
  const lines: ProgressLine[] = [];
  const options: ExecuteOptions = { store, runId: created.run_id, concurrency: 1, wait: false, trustRoots: [workspace], progress: (line) => lines.push(line), ...(confined ? {} : { sandbox: "off" as const }) };
  const outcome = await (confined ? new Offline(options, workspace) : new Orchestrator(options)).execute();
  return { outcome, lines, events: await store.read(created.run_id) };
}

describe("peh run › a network error in an attempt without network", () => {
  it("is a permission failure: not retried, the host and the grant to ask for shown to the human", async () => {
    const { outcome, lines, events } = await runFetch(true);
    expect(outcome.kind).toBe("waiting");
    const classified = events.find((e) => e.type === "FAILURE_CLASSIFIED");
    expect(classified?.data).toMatchObject({ class: "permission", rule: "network refused by the sandbox", evidence: "curl: (6) Could not resolve host: example.com" });
    const asked = events.find((e) => e.type === "PERMISSION_REQUIRED");
    expect(asked?.type === "PERMISSION_REQUIRED" && asked.data.detail).toContain("so example.com could not be reached; if the task needs it, ask for it in the task: network: true");
    expect(events.filter((e) => e.type === "RECOVERY_ATTEMPTED")).toEqual([]);
    expect(lines).toContainEqual({ kind: "note", text: expect.stringContaining("fetch: the attempt had no network, so example.com could not be reached") });
  });

  it("is transient and retried, as before, in a run that does not say its attempts were confined", async () => {
    const { events } = await runFetch(false);
    expect(events.find((e) => e.type === "FAILURE_CLASSIFIED")?.data).toMatchObject({ class: "transient" });
    expect(events.filter((e) => e.type === "RECOVERY_ATTEMPTED")).toHaveLength(1);
    expect(events.filter((e) => e.type === "PERMISSION_REQUIRED")).toEqual([]);
  });
});
