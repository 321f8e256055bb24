// A second process for the store race tests: waits for "go" on stdin, then appends.
// argv: storeDir runId mode(count) — mode "once": one append at version 0; "loop": `count` appends
// that re-read the version and retry on conflict. Prints one JSON line with what happened.
// Mode "rounds": `count` races, each on run `<runId>-<round>`: prints "ready", waits for "go",
// appends once at version 0, prints its result line; then the next round.
import { createInterface } from "node:readline";
import { LowdbEventStore } from "../../dist/events/adapters.js";
import { PehEventSchema } from "../../dist/events/index.js";

const [dir, runId, mode, countText, tag] = process.argv.slice(2);
const count = Number(countText ?? 1);
const store = new LowdbEventStore(dir);
const event = (seq, n) =>
  PehEventSchema.parse({
    id: `${runId}.${seq}`,
    run_id: runId,
    seq,
    at: new Date().toISOString(),
    actor: `${tag}-${n}`,
    entity: "plan",
    type: "GATE_CLARIFICATION_REQUESTED",
    data: { version: 1, question: `${tag} ${n}` },
  });

const lines = createInterface({ input: process.stdin });
if (mode === "rounds") {
  const input = lines[Symbol.asyncIterator]();
  for (let round = 0; round < count; round++) {
    const id = `${runId}-${round}`;
    process.stdout.write("ready\n");
    while ((await input.next()).value?.trim() !== "go");
    const result = { round, ok: 0, conflicts: 0, errors: [] };
    try {
      await store.append(id, [{ ...event(1, round), id: `${id}.1`, run_id: id }], 0);
      result.ok++;
    } catch (error) {
      if (error.code === "APPEND_CONFLICT") result.conflicts++;
      else result.errors.push(String(error));
    }
    process.stdout.write(JSON.stringify(result) + "\n");
  }
  process.exit(0);
}
process.stdout.write("ready\n");
for await (const line of lines) {
  if (line.trim() === "go") break;
}
lines.close();

const result = { ok: 0, conflicts: 0, errors: [] };
if (mode === "once") {
  try {
    await store.append(runId, [event(1, 0)], 0);
    result.ok++;
  } catch (error) {
    if (error.code === "APPEND_CONFLICT") result.conflicts++;
    else result.errors.push(String(error));
  }
} else {
  for (let n = 0; n < count; ) {
    const version = await store.version(runId);
    try {
      await store.append(runId, [event(version + 1, n)], version);
      result.ok++;
      n++;
    } catch (error) {
      if (error.code === "APPEND_CONFLICT") result.conflicts++;
      else {
        result.errors.push(String(error));
        break;
      }
    }
  }
}
process.stdout.write(JSON.stringify(result) + "\n");
