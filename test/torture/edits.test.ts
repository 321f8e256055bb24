// An edited line at every seq of the golden log: the run is written through the store (so every
// line is sealed), then each line in turn gets one edit that keeps it valid JSON and a valid event
// (a field of the envelope, a field inside its data, a field zod would drop), and is read back.
// Every edit must be STORE_CORRUPT naming that line's seq. An edit that also recomputes its own
// line's hash is found at the next line, which no longer chains to it (the last line has none).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { PehEventSchema, isPehError } from "../../events/index.js";
import { chainHash } from "../../events/seal.js";
import { tempDir } from "../support/temp-dir.js";
import { summary } from "./scale.js";

const golden = fileURLToPath(new URL("../fixtures/golden/release.events.jsonl", import.meta.url));

/** Edits that keep a line valid JSON and its event valid: what a careful user's editor leaves. */
const EDITS: [string, (json: Record<string, any>) => void][] = [
  ["actor", (json) => (json.actor = json.actor === "mallory" ? "eve" : "mallory")],
  ["at", (json) => (json.at = new Date(Date.parse(json.at) + 1).toISOString())],
  ["a field inside data", (json) => (json.data = { ...json.data, edited: true })],
];

describe("torture › an edited line at every seq of the golden log", () => {
  it("is always detected, with its seq", { timeout: 600_000 }, async () => {
    const events = (await readFile(golden, "utf8")).trimEnd().split("\n").map((line) => PehEventSchema.parse(JSON.parse(line)));
    const runId = events[0]!.run_id;
    const dir = await tempDir();
    try {
      const logFile = join(dir.path, "runs", runId, "events.jsonl");
      await mkdir(join(dir.path, "runs", runId), { recursive: true });
      const writer = new LowdbEventStore(dir.path);
      for (let from = 0; from < events.length; from += 2) await writer.append(runId, events.slice(from, from + 2), from);
      await writer.close();
      const lines = (await readFile(logFile, "utf8")).trimEnd().split("\n");
      const readError = async (edited: string[]): Promise<Error | undefined> => {
        await writeFile(logFile, edited.join("\n") + "\n");
        return new LowdbEventStore(dir.path).read(runId).then(() => undefined, (error: Error) => error);
      };
      let detected = 0;
      let resealedDetected = 0;
      for (let seq = 1; seq <= lines.length; seq++) {
        for (const [field, edit] of EDITS) {
          const json = JSON.parse(lines[seq - 1]!);
          edit(json);
          const edited = lines.map((line, i) => (i === seq - 1 ? JSON.stringify(json) : line));
          const error = await readError(edited);
          expect(isPehError(error, "STORE_CORRUPT"), `${field} of seq ${seq}: ${String(error)}`).toBe(true);
          expect(error!.message).toContain(`the line for seq ${seq} was edited`);
          detected++;
          if (seq === lines.length) continue;
          // The same edit with the line's own hash recomputed: the next line names the break.
          delete json.hash;
          const content = JSON.stringify(json);
          const previous = seq === 1 ? "" : (JSON.parse(lines[seq - 2]!).hash as string);
          edited[seq - 1] = `${content.slice(0, -1)},"hash":"${chainHash(previous, content)}"}`;
          const resealed = await readError(edited);
          expect(resealed?.message, `${field} of seq ${seq}, hash recomputed`).toContain(`the line for seq ${seq + 1} was edited`);
          resealedDetected++;
        }
      }
      summary(
        `edited lines: ${detected}/${detected} detected with their seq (every line of the ${lines.length}-event golden log, ${EDITS.length} edits each); ` +
          `${resealedDetected}/${resealedDetected} that also recomputed their own hash detected at the next seq`,
      );
    } finally {
      await dir.remove();
    }
  });
});
