import { describe, expect, it } from "vitest";
import { decide } from "../machines/decider/decider.js";
import { initialRunState, type RunState } from "../machines/fold/run.js";
import { awaitedOf } from "../projections/status.js";
import { AT, BOOTSTRAP, approve, create, scheduleReady } from "./support/fixtures.js";
import type { CommandInput } from "../machines/decider/commands.js";

/** The diamond (workspace /w/app) with its first task's worker waiting for trust in `cwd`. */
function waitingIn(cwd: string): RunState {
  const commands: CommandInput[] = [create(), approve(), ...BOOTSTRAP, scheduleReady, { type: "StartAttempt", at: AT, task_id: "build", cwd }];
  return commands.reduce((state, command) => decide(state, command).state, initialRunState());
}

describe("status › a worker waiting for trust", () => {
  it("suggests trusting it when it runs inside the workspace", () => {
    expect(awaitedOf(waitingIn("/w/app/src"))).toEqual([
      expect.objectContaining({ kind: "trust", task_id: "build", reason: "task build runs in /w/app/src, which is in no trusted root", command: expect.stringContaining("peh trust") }),
    ]);
  });

  it("shows where it really would run when that is outside the workspace, and never suggests trusting it", () => {
    for (const cwd of ["/srv/evil", "/w/app-evil"]) {
      const [awaited] = awaitedOf(waitingIn(cwd));
      expect(awaited?.reason).toBe(`task build would run in ${cwd}, outside the workspace /w/app (a symlink leads there); peh does not run it there`);
      expect(awaited?.command).not.toContain("peh trust");
      expect(awaited?.command).toMatch(/^peh run r-test /);
    }
  });
});
