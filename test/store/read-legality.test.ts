// Reading a log judges every event where it stands, as the decider judged it before it was
// appended: a log edited by hand (or written by a bug) is refused as STORE_CORRUPT naming the file
// and the seq, never believed. The golden log predates seals, so here only the machines can tell.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { PehEventSchema, isPehError, type PehEvent } from "../../events/index.js";
import { foldRun, whyIllegal } from "../../machines/fold/run.js";
import { RunHandle } from "../../runtime/command-handler.js";
import { approveRun } from "../../runtime/gate/gate.js";
import { readRun } from "../../runtime/store/read-run.js";
import { viewStateOf } from "../../runtime/view-state.js";
import { tempDir } from "../support/temp-dir.js";

const golden = fileURLToPath(new URL("../fixtures/golden/release.events.jsonl", import.meta.url));
const lines = (await readFile(golden, "utf8")).trimEnd().split("\n");
const events = lines.map((line) => PehEventSchema.parse(JSON.parse(line)));
const runId = events[0]!.run_id;
const seqOf = (type: PehEvent["type"]) => events.find((event) => event.type === type)!.seq;

let dir: { path: string; remove(): Promise<void> };
let logFile: string;
beforeEach(async () => {
  dir = await tempDir();
  logFile = join(dir.path, "runs", runId, "events.jsonl");
  await mkdir(join(dir.path, "runs", runId), { recursive: true });
});
afterEach(async () => dir.remove());

/** The golden log with line `seq` changed by `edit` (still valid JSON, still a valid event). */
async function writeEdited(seq: number, edit: (json: Record<string, any>) => void): Promise<void> {
  const edited = [...lines];
  const json = JSON.parse(edited[seq - 1]!);
  edit(json);
  edited[seq - 1] = JSON.stringify(json);
  await writeFile(logFile, edited.join("\n") + "\n");
}

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(() => undefined, (error: unknown) => error);
}

/** Every way a view or a decision reads the run refuses it, naming the file and `seq`. */
async function expectRefusedAt(seq: number, why: RegExp): Promise<void> {
  const store = new LowdbEventStore(dir.path);
  for (const read of [() => readRun(store, runId), () => RunHandle.open(store, runId), () => viewStateOf(store, runId)]) {
    const error = await caught(read);
    expect(isPehError(error, "STORE_CORRUPT"), String(error)).toBe(true);
    expect((error as Error).message).toContain(`${logFile}: the event at seq ${seq} `);
    expect((error as Error).message).toMatch(why);
  }
}

describe("reading a log › every event is judged where it stands", () => {
  it("reads the golden log as it was recorded", async () => {
    await writeFile(logFile, lines.join("\n") + "\n");
    expect((await readRun(new LowdbEventStore(dir.path), runId)).state.seq).toBe(events.length);
  });

  it("refuses an approval whose version was edited, and the gate appends nothing after it", async () => {
    const approved = seqOf("GATE_APPROVED");
    await writeEdited(approved, (json) => (json.data.version = 2));
    await expectRefusedAt(approved, /GATE_APPROVED is not allowed for plan in state awaiting_approval/);
    // Before, the fold skipped the approval, so the run looked unapproved and the gate approved it
    // again after EXECUTION_COMPLETE.
    const store = new LowdbEventStore(dir.path);
    expect(isPehError(await caught(() => approveRun(store, runId, { actor: "mallory", confirmations: ["deploy to production"] })), "STORE_CORRUPT")).toBe(true);
    expect(await store.version(runId)).toBe(events.length);
  });

  it("refuses an event whose run id was edited to another run's", async () => {
    await writeEdited(5, (json) => (json.run_id = "r-20261124-101010-ffff"));
    await expectRefusedAt(5, /event of run r-20261124-101010-ffff in run /);
  });

  it("refuses an event after EXECUTION_COMPLETE", async () => {
    const extra = { ...JSON.parse(lines[seqOf("DECISION_RECORDED") - 1]!), seq: events.length + 1, id: `${runId}.${events.length + 1}` };
    await writeFile(logFile, [...lines, JSON.stringify(extra)].join("\n") + "\n");
    await expectRefusedAt(events.length + 1, /DECISION_RECORDED is not allowed for task:lint in state skipped/);
  });

  it("refuses exactly what the decider's check refuses, for any event moved to any seq", () => {
    // Every event of the log put in place of every other (its seq and id adjusted): the fold of
    // the log so changed fails at that seq exactly when `whyIllegal` says the event may not stand there.
    let refused = 0;
    for (let at = 1; at <= events.length; at++) {
      const before = foldRun(events.slice(0, at - 1));
      for (const moved of events) {
        const candidate = PehEventSchema.parse({ ...moved, seq: at, id: `${runId}.${at}` });
        const why = whyIllegal(before, candidate);
        const error = (() => {
          try {
            foldRun([...events.slice(0, at - 1), candidate]);
            return undefined;
          } catch (caught) {
            return caught;
          }
        })();
        expect(error === undefined, `${candidate.type} at seq ${at}: whyIllegal says ${why ?? "legal"}`).toBe(why === undefined);
        if (why !== undefined) {
          refused++;
          expect(isPehError(error, "STORE_CORRUPT")).toBe(true);
          expect((error as Error).message).toBe(`the event at seq ${at} (${candidate.type}) cannot stand where it is: ${why}`);
        }
      }
    }
    // Most events are out of place almost everywhere: the comparison cannot be vacuous.
    expect(refused).toBeGreaterThan(events.length * events.length * 0.8);
  });
});
