// Crash boundaries of claimed work (issue 19): a `peh worker` on PostgreSQL SIGKILLs itself right
// after the append that brings the log to seq N (PEH_CRASH_AFTER_SEQ), holding whatever it had
// claimed then (the run's lease for the bootstrap, attempts' leases and claims); a second worker
// takes over (at once: the first died on this host) and finishes the run. At every boundary the
// checker over the log holds: each task one terminal state recorded once, nothing of a superseded
// attempt accepted, repeats only after an interruption, dependencies respected, seq gapless.
// Bounded here (every 5th boundary); `npm run test:torture` (TORTURE=full) crashes at every one.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PostgresEventStore } from "../../events/adapters.js";
import { RunIdSchema } from "../../events/index.js";
import { describeWithPostgres } from "../support/postgres.js";
import { workspace, type Workspace } from "../support/workspace.js";
import { checkNemesisLog, dagPlan } from "./nemesis-check.js";
import { FULL } from "./scale.js";

describeWithPostgres("claims crash boundaries", (server) => {
  const plan = dagPlan(3, 2, []);
  let ws: Workspace;
  beforeAll(async () => {
    ws = await workspace();
    await ws.write("plan.yaml", plan.text);
  });
  afterAll(async () => {
    await ws.remove();
  });

  /** A run planned and approved on a fresh database; its id and the workspace's environment for it. */
  const fresh = async () => {
    const url = await server().database();
    const env = { ...ws.env, PEH_STORE: url, XDG_STATE_HOME: join(ws.path, "..", `state-${new URL(url).pathname.slice(1)}`), PEH_TRUST_ROOTS: ws.path, PEH_ACTOR: "ana", PEH_TASK_LEASE_SECONDS: "2", PEH_RUN_LEASE_SECONDS: "2" };
    Object.assign(ws.env, env);
    const planned = ws.peh("plan", "--from", "plan.yaml", "--json");
    expect(planned.code, planned.stderr).toBe(0);
    const runId = RunIdSchema.parse(JSON.parse(planned.stdout).run_id);
    expect(ws.peh("approve", runId, "--as", "ana").code).toBe(0);
    return { url, runId };
  };

  it("a worker killed after any append has its claims taken over; the run ends as if uninterrupted", { timeout: 900_000 }, async () => {
    // The uninterrupted run: how long its log is, so every boundary of it can be crashed at.
    await ws.write("executions.txt", "");
    const whole = await fresh();
    expect(await ws.start(["worker", "--until-idle", "--sandbox", "off"]).exit).toBe(0);
    const reference = new PostgresEventStore(whole.url);
    const length = (await reference.read(whole.runId)).length;
    await reference.close();
    const planSeq = 3; // plan, approval request, approval: recorded before any worker
    const boundaries = Array.from({ length: length - planSeq - 1 }, (_, i) => planSeq + 1 + i).filter((seq, i) => FULL || i % 5 === 0);
    let resumed = 0;
    for (const seq of boundaries) {
      await ws.write("executions.txt", "");
      const { url, runId } = await fresh();
      expect(await ws.start(["worker", "--until-idle", "--sandbox", "off"], { PEH_CRASH_AFTER_SEQ: String(seq) }).exit, `crash after seq ${seq}`).toBe(137);
      expect(await ws.start(["worker", "--until-idle", "--sandbox", "off"]).exit, `resume after seq ${seq}`).toBe(0);
      const store = new PostgresEventStore(url);
      const events = await store.read(runId);
      await store.close();
      const executions = (await ws.read("executions.txt")).trim().split("\n").filter(Boolean);
      const summary = checkNemesisLog(plan, events, executions);
      expect(summary.problems, `crash after seq ${seq}`).toEqual([]);
      expect(events.at(-1)?.type).toBe("EXECUTION_COMPLETE");
      resumed++;
    }
    console.log(`claims crash boundaries: ${resumed}/${boundaries.length} finished by a second worker with nothing lost or recorded twice (every ${FULL ? "" : "5th "}seq of ${length}, ${plan.count} tasks)`);
  });
});
