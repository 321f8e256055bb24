// peh inspect: the recorded run sent through @statelyai/inspect's WebSocket inspector to its
// local relay on loopback, received by a createWebSocketReceiver: every machine appears as an
// actor with its definition before its events, and the events come in log order. --record
// writes the same stream with no network.
import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createWebSocketInspector, createWebSocketReceiver, type StatelyInspectionEvent } from "@statelyai/inspect";
import { createInspectorServer } from "@statelyai/inspect/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LowdbEventStore } from "../events/adapters.js";
import { PehEventSchema, type PehEvent } from "../events/index.js";
import { peh } from "./support/cli.js";
import { tempDir } from "./support/temp-dir.js";

const fixture = fileURLToPath(new URL("./fixtures/golden/release.events.jsonl", import.meta.url));
const bin = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

let dir: { path: string; remove(): Promise<void> };
let store: string;
let events: PehEvent[];

beforeAll(async () => {
  dir = await tempDir();
  const text = await readFile(fixture, "utf8");
  events = text.trimEnd().split("\n").map((line) => PehEventSchema.parse(JSON.parse(line)));
  store = join(dir.path, ".peh");
  await mkdir(join(store, "runs", events[0]!.run_id), { recursive: true });
  await writeFile(join(store, "runs", events[0]!.run_id, "events.jsonl"), text);
});
afterAll(async () => dir.remove());

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function checkStream(stream: StatelyInspectionEvent[]): void {
  const machines = new Set(events.map((e) => e.entity));
  const actors = stream.filter((e) => e.type === "@xstate.actor");
  for (const entity of machines) {
    const sessionId = `${events[0]!.run_id}/${entity}`;
    const actor = actors.find((a) => a.sessionId === sessionId);
    expect(actor, `no @xstate.actor for ${entity}`).toBeDefined();
    const definition = actor?.type === "@xstate.actor" ? actor.definition : undefined;
    expect(JSON.parse(definition ?? "{}"), `${entity} has a definition`).toHaveProperty("states");
    const firstEvent = stream.findIndex((e) => e.type === "@xstate.event" && e.sessionId === sessionId);
    expect(stream.indexOf(actor!), `${entity} appears before its events`).toBeLessThan(firstEvent);
  }
  const sent = stream.flatMap((e) => (e.type === "@xstate.event" ? [e.event as unknown as { type: string; seq: number }] : []));
  expect(sent.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  expect(sent.map((e) => e.type)).toEqual(events.map((e) => e.type));
}

describe("peh inspect", () => {
  it("--record writes the inspection stream as JSON lines, without any network", async () => {
    const file = join(dir.path, "run.inspect.jsonl");
    const result = peh(["--store", store, "inspect", "--record", file]);
    expect(result.code, result.stderr).toBe(0);
    checkStream((await readFile(file, "utf8")).trimEnd().split("\n").map((line) => JSON.parse(line) as StatelyInspectionEvent));
  });

  it("--record follows a live run that another process appends to, until EXECUTION_COMPLETE", async () => {
    const live = join(dir.path, "live");
    const runId = events[0]!.run_id;
    const logged = 30;
    await mkdir(join(live, "runs", runId), { recursive: true });
    await writeFile(join(live, "runs", runId, "events.jsonl"), events.slice(0, logged).map((event) => `${JSON.stringify(event)}\n`).join(""));
    const file = join(dir.path, "live.inspect.jsonl");
    const child = spawn(process.execPath, [bin, "--store", live, "inspect", "--record", file], { env: { ...process.env, NO_COLOR: "1" } });
    let output = "";
    const following = new Promise<void>((resolve) => {
      const seen = (chunk: Buffer) => {
        output += chunk;
        if (output.includes(`following ${runId}`)) resolve();
      };
      child.stdout.on("data", seen);
      child.stderr.on("data", seen);
    });
    const exit = new Promise<number | null>((resolve) => child.on("close", resolve));
    // The log so far is recorded, then the run goes on: the rest is appended while peh follows.
    await Promise.race([following, exit]);
    const store = new LowdbEventStore(live);
    try {
      for (const event of events.slice(logged)) await store.append(runId, [event], event.seq - 1);
    } finally {
      await store.close();
    }
    expect(await exit, output).toBe(0);
    expect(output).toContain(`(${events.length} log events)`);
    checkStream((await readFile(file, "utf8")).trimEnd().split("\n").map((line) => JSON.parse(line) as StatelyInspectionEvent));
  });

  it("--record into a directory that does not exist says so, with a hint (exit 2)", async () => {
    const file = join(dir.path, "missing", "run.inspect.jsonl");
    const result = peh(["--store", store, "inspect", "--record", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot write ${file}: its directory does not exist`);
    expect(result.stderr).toContain("hint");
    expect(result.stderr).not.toMatch(/Unhandled|at emit/);
  });

  it("sends the run through the WebSocket inspector to a relay, where a receiver gets it whole and in order", async () => {
    const port = await freePort();
    const relay = createInspectorServer({ port, autoOpen: false });
    const url = `ws://127.0.0.1:${port}`;
    try {
      const recorded = join(dir.path, "expected.inspect.jsonl");
      expect(peh(["--store", store, "inspect", "--record", recorded]).code).toBe(0);
      const expected = (await readFile(recorded, "utf8")).trimEnd().split("\n").length;
      const received: StatelyInspectionEvent[] = [];
      let probed: () => void = () => {};
      let complete: () => void = () => {};
      const probe = new Promise<void>((resolve) => (probed = resolve));
      const all = new Promise<void>((resolve) => (complete = resolve));
      createWebSocketReceiver({ server: url }).subscribe((event) => {
        if (event.type === "@xstate.event" && event.sessionId === "probe") return probed();
        received.push(event);
        if (received.length === expected) complete();
      });
      // The receiver is connected once a probe sent through the relay reaches it.
      const prober = createWebSocketInspector({ url });
      const sendProbe = () => prober.event("probe", { type: "peh.test.probe" });
      const retry = setInterval(sendProbe, 50);
      sendProbe();
      await probe;
      clearInterval(retry);
      prober.stop();

      const child = spawn(process.execPath, [bin, "--store", store, "inspect", "--url", url, "--speed", "0"], { env: { ...process.env, NO_COLOR: "1" } });
      let stderr = "";
      child.stderr.on("data", (chunk) => (stderr += chunk));
      const code = await new Promise((resolve) => child.on("close", resolve));
      expect(code, stderr).toBe(0);
      await all;
      checkStream(received);
    } finally {
      relay.stop();
    }
  });

  it("says clearly when no relay answers (exit 1)", async () => {
    const port = await freePort();
    const result = peh(["--store", store, "inspect", "--url", `ws://127.0.0.1:${port}`, "--speed", "0"], { env: { PEH_INSPECT_CONNECT_MS: "300" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no inspector relay answers at ws://127.0.0.1:${port}`);
  });
});
