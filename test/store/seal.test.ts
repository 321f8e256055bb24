// The embedded store seals every line (events/seal.ts): a hash chaining it to the line before, and
// the seq its append ends at. An edited line is STORE_CORRUPT naming its seq; a write torn inside
// an append is dropped whole; a log written before seals is read as it always was.
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { PehEventSchema, isPehError, type PehEvent } from "../../events/index.js";
import { chainHash, sealAppend } from "../../events/seal.js";
import { tempDir } from "../support/temp-dir.js";

const golden = fileURLToPath(new URL("../fixtures/golden/release.events.jsonl", import.meta.url));
const plainLines = (await readFile(golden, "utf8")).trimEnd().split("\n");
const events = plainLines.map((line) => PehEventSchema.parse(JSON.parse(line)));
const runId = events[0]!.run_id;
const seqOf = (type: PehEvent["type"]) => events.find((event) => event.type === type)!.seq;

let dir: { path: string; remove(): Promise<void> };
let logFile: string;
beforeEach(async () => {
  dir = await tempDir();
  logFile = join(dir.path, "runs", runId, "events.jsonl");
});
afterEach(async () => dir.remove());

/** The golden run appended through the store, a few events per append as a run does. */
async function writeSealed(): Promise<string[]> {
  const store = new LowdbEventStore(dir.path);
  for (let from = 0; from < events.length; from += 3) await store.append(runId, events.slice(from, from + 3), from);
  await store.close();
  return (await readFile(logFile, "utf8")).trimEnd().split("\n");
}

async function readError(): Promise<Error | undefined> {
  return new LowdbEventStore(dir.path).read(runId).then(() => undefined, (error: Error) => error);
}

async function expectEditedAt(seq: number): Promise<void> {
  const error = await readError();
  expect(isPehError(error, "STORE_CORRUPT"), String(error)).toBe(true);
  expect(error!.message).toMatch(new RegExp(`^${logFile}: the line for seq ${seq} was edited: `));
}

/** Line `seq` with its JSON changed by `edit`, keeping its seal as it was. */
function edited(lines: string[], seq: number, edit: (json: Record<string, any>) => void): string[] {
  const json = JSON.parse(lines[seq - 1]!);
  edit(json);
  return lines.map((line, i) => (i === seq - 1 ? JSON.stringify(json) : line));
}

describe("sealed log › an edited line", () => {
  it("is read back whole when nobody touched it", async () => {
    await writeSealed();
    expect(await new LowdbEventStore(dir.path).read(runId)).toEqual(events);
  });

  const cases: [string, PehEvent["type"], (json: Record<string, any>) => void][] = [
    ["an approval's version", "GATE_APPROVED", (json) => (json.data.version = 2)],
    ["the approver's name", "GATE_APPROVED", (json) => (json.actor = "mallory")],
    ["another run's id", "TASK_STARTED", (json) => (json.run_id = "r-20261124-101010-ffff")],
  ];
  for (const [what, type, edit] of cases) {
    it(`is found with its seq: ${what}`, async () => {
      const lines = await writeSealed();
      await writeFile(logFile, edited(lines, seqOf(type), edit).join("\n") + "\n");
      await expectEditedAt(seqOf(type));
    });
  }

  it("is found when an event is added after EXECUTION_COMPLETE, sealed or not", async () => {
    const lines = await writeSealed();
    const decision = JSON.parse(lines[seqOf("DECISION_RECORDED") - 1]!);
    const extra = { ...decision, seq: events.length + 1, id: `${runId}.${events.length + 1}`, end: events.length + 1 };
    await appendFile(logFile, JSON.stringify(extra) + "\n");
    await expectEditedAt(events.length + 1); // a hash copied from another line does not chain here
    delete extra.hash;
    delete extra.end;
    await writeFile(logFile, [...lines, JSON.stringify(extra)].join("\n") + "\n");
    const error = await readError();
    expect(error?.message).toMatch(new RegExp(`the line for seq ${events.length + 1} has no hash, though the events before it have`));
  });

  it("that also recomputed its own hash is found at the next line, which no longer chains to it", async () => {
    const lines = await writeSealed();
    const seq = seqOf("GATE_APPROVED");
    const json = JSON.parse(lines[seq - 1]!);
    json.actor = "mallory";
    delete json.hash;
    const content = JSON.stringify(json);
    const previous = JSON.parse(lines[seq - 2]!).hash as string;
    lines[seq - 1] = `${content.slice(0, -1)},"hash":"${chainHash(previous, content)}"}`;
    await writeFile(logFile, lines.join("\n") + "\n");
    await expectEditedAt(seq + 1);
  });
});

describe("sealed log › appends", () => {
  const batch = (from: number) => events.slice(from - 1, from + 1);

  it("drop a two-event append torn at any byte whole, and the next append cuts it", async () => {
    const store = new LowdbEventStore(dir.path);
    await store.append(runId, events.slice(0, 10), 0);
    await store.close();
    const intact = await readFile(logFile);
    const chain = JSON.parse(intact.toString("utf8").trimEnd().split("\n").at(-1)!).hash as string;
    const torn = Buffer.from(sealAppend(chain, batch(11)).lines.join("\n") + "\n");
    for (let cut = 1; cut < torn.length; cut++) {
      await writeFile(logFile, Buffer.concat([intact, torn.subarray(0, cut)]));
      expect(await new LowdbEventStore(dir.path).version(runId), `cut after byte ${cut} of ${torn.length}`).toBe(10);
      expect((await new LowdbEventStore(dir.path).listRuns())[0]?.events, `listed, cut after byte ${cut}`).toBe(10);
    }
    const resumed = new LowdbEventStore(dir.path);
    await resumed.append(runId, batch(11), 10);
    expect(await new LowdbEventStore(dir.path).read(runId)).toEqual(events.slice(0, 12));
  });

  it("are refused as damage when an append's lines disagree on where it ends", async () => {
    await writeSealed();
    const lines = (await readFile(logFile, "utf8")).trimEnd().split("\n");
    // Lines 1-3 are one append; line 2 alone (re-sealed so that its hash holds) says it ends at 2.
    const json = JSON.parse(lines[1]!);
    delete json.hash;
    json.end = 2;
    const content = JSON.stringify(json);
    lines[1] = `${content.slice(0, -1)},"hash":"${chainHash(JSON.parse(lines[0]!).hash, content)}"}`;
    await writeFile(logFile, lines.join("\n") + "\n");
    expect((await readError())?.message).toMatch(/seq 2 says its append ends at seq 2, but the append it is part of ends at seq 3/);
  });
});

describe("sealed log › a log written before seals", () => {
  it("is read as before, and what is appended to it is sealed, chaining through the old lines", async () => {
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(dir.path, "runs", runId), { recursive: true });
    const old = plainLines.slice(0, 20);
    await writeFile(logFile, old.join("\n") + "\n");
    const store = new LowdbEventStore(dir.path);
    await store.append(runId, events.slice(20, 22), 20);
    expect(await new LowdbEventStore(dir.path).read(runId)).toEqual(events.slice(0, 22));
    const expected = sealAppend(old.reduce((chain, line) => chainHash(chain, line), ""), events.slice(20, 22)).chain;
    expect(await new LowdbEventStore(dir.path).head(runId)).toEqual({ seq: 22, hash: expected });
    // An old line edited afterwards is found where the seals begin: they chain through it.
    const lines = (await readFile(logFile, "utf8")).trimEnd().split("\n");
    await writeFile(logFile, edited(lines, 3, (json) => (json.actor = "mallory")).join("\n") + "\n");
    await expectEditedAt(21);
  });
});
