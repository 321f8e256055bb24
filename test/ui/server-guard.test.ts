// peh ui's loopback defences, with node:http clients (fetch drops a forged Host header): every
// request a hostile page or a rebound DNS name could make is refused, and nothing is appended.
import { request as httpRequest } from "node:http";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import type { RunId } from "../../events/index.js";
import { createRun } from "../../runtime/gate/gate.js";
import { startUiServer, type UiServer } from "../../runtime/ui/server.js";
import { tempDir } from "../support/temp-dir.js";

const release = fileURLToPath(new URL("../../examples/release.yaml", import.meta.url));
const PHRASE = "deploy 2.4.1 to production";
const ASSETS = { html: "<!doctype html><title>peh</title>", js: "", css: "" };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let dir: { path: string; remove(): Promise<void> };
let store: LowdbEventStore;
let server: UiServer;
let runId: RunId;

/** One request as a raw client sends it: every header as given, Host included. */
function send(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: server.port, path, method: options.method ?? "GET", headers: { host: `127.0.0.1:${server.port}`, ...options.headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const token = () => ({ "x-peh-token": server.token });
const approve = (headers: Record<string, string>, body = JSON.stringify({ actor: "ana", version: 1, confirmations: [PHRASE] }), method = "POST") =>
  send(`/api/runs/${runId}/approve`, { method, headers, body });

beforeEach(async () => {
  dir = await tempDir();
  await copyFile(release, join(dir.path, "release.yaml"));
  store = new LowdbEventStore(join(dir.path, ".peh"));
  runId = (await createRun(store, { workspace: dir.path, from: "release.yaml" })).run_id;
  server = await startUiServer({ store, assets: ASSETS });
});
afterEach(async () => {
  await server.close();
  await store.close();
  await dir.remove();
});

describe("peh ui's server › what it answers", () => {
  it("listens on 127.0.0.1 and prints a URL carrying its token", () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[0-9a-f]{32}$/);
  });

  it("serves the page with CSP default-src 'self', no CORS header, and the runs to the token", async () => {
    const page = await send("/");
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(page.headers["access-control-allow-origin"]).toBeUndefined();
    const runs = await send("/api/runs", { headers: { ...token(), host: `localhost:${server.port}` } });
    expect(runs.status).toBe(200);
    expect(JSON.parse(runs.body).runs).toMatchObject([{ run_id: runId, state: "awaiting_approval", progress: { total: 4, pending: 4 } }]);
  });

  it("approves with the phrase from a JSON POST with the token header, recorded with via: web", async () => {
    const answer = await approve({ ...token(), "content-type": "application/json", origin: `http://127.0.0.1:${server.port}` });
    expect(answer.status).toBe(200);
    const last = (await store.read(runId)).find((event) => event.type === "GATE_APPROVED");
    expect(last).toMatchObject({ actor: "ana", via: "web" });
  });
});

describe("peh ui's server › what it refuses, appending nothing", () => {
  const refusals: [string, () => Promise<Answer>, number, string][] = [
    ["a forged Host (DNS rebinding)", () => approve({ ...token(), "content-type": "application/json", host: "evil.example:80" }), 403, "HOST_REFUSED"],
    ["a Host naming another port", () => send("/api/runs", { headers: { ...token(), host: "127.0.0.1:1" } }), 403, "HOST_REFUSED"],
    ["a missing token", () => approve({ "content-type": "application/json" }), 401, "TOKEN_REFUSED"],
    ["a wrong token", () => approve({ "x-peh-token": "0".repeat(32), "content-type": "application/json" }), 401, "TOKEN_REFUSED"],
    ["the token in the query of a mutation", () => send(`/api/runs/${runId}/approve?token=${server.token}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }), 401, "TOKEN_REFUSED"],
    ["a foreign Origin", () => approve({ ...token(), "content-type": "application/json", origin: "https://evil.example" }), 403, "ORIGIN_REFUSED"],
    ["a GET mutation", () => approve(token(), undefined, "GET"), 405, "METHOD_REFUSED"],
    ["a form-encoded mutation", () => approve({ ...token(), "content-type": "application/x-www-form-urlencoded" }, `actor=ana&version=1&confirmations=${encodeURIComponent(PHRASE)}`), 415, "CONTENT_TYPE_REFUSED"],
    ["a text/plain mutation", () => approve({ ...token(), "content-type": "text/plain" }), 415, "CONTENT_TYPE_REFUSED"],
    ["a preflight", () => approve({ origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "x-peh-token,content-type" }, "", "OPTIONS"), 403, "ORIGIN_REFUSED"],
    ["a same-origin preflight", () => approve({ "access-control-request-method": "POST" }, "", "OPTIONS"), 401, "TOKEN_REFUSED"],
    ["the stream without a token", () => send(`/api/runs/${runId}/stream`), 401, "TOKEN_REFUSED"],
    ["the events without a token", () => send(`/api/runs/${runId}/events`), 401, "TOKEN_REFUSED"],
    ["the runs' stream without a token", () => send("/api/runs/stream"), 401, "TOKEN_REFUSED"],
    ["the runs' stream with a wrong token", () => send(`/api/runs/stream?token=${"0".repeat(32)}`), 401, "TOKEN_REFUSED"],
    ["the runs' stream from a forged Host", () => send(`/api/runs/stream?token=${server.token}`, { headers: { host: "evil.example" } }), 403, "HOST_REFUSED"],
    ["the runs' stream from a foreign Origin", () => send(`/api/runs/stream?token=${server.token}`, { headers: { origin: "https://evil.example" } }), 403, "ORIGIN_REFUSED"],
    ["the list with the token in the query (only a stream takes it there)", () => send(`/api/runs?token=${server.token}`), 401, "TOKEN_REFUSED"],
  ];

  it.each(refusals)("refuses %s", async (_name, attempt, status, code) => {
    const before = await store.version(runId);
    const answer = await attempt();
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.body).error.code).toBe(code);
    expect(answer.headers["access-control-allow-origin"]).toBeUndefined();
    expect(answer.headers["access-control-allow-methods"]).toBeUndefined();
    expect(await store.version(runId)).toBe(before);
  });

  it("refuses a wrong phrase with the CLI's own message and hint", async () => {
    const answer = await approve({ ...token(), "content-type": "application/json" }, JSON.stringify({ actor: "ana", version: 1, confirmations: ["yes"] }));
    expect(answer.status).toBe(422);
    const { error } = JSON.parse(answer.body);
    expect(error.code).toBe("CONFIRMATION_MISSING");
    expect(error.hint).toBe(`peh approve ${runId} --version 1 --as ana --confirm "${PHRASE}"`);
    expect(await store.version(runId)).toBe(2);
  });

  it("refuses peh's own actor name, as the CLI does", async () => {
    const answer = await approve({ ...token(), "content-type": "application/json" }, JSON.stringify({ actor: "system", version: 1, confirmations: [PHRASE] }));
    expect(JSON.parse(answer.body).error.message).toContain('"system" (the name given on the page) is peh\'s own actor name');
    expect(await store.version(runId)).toBe(2);
  });
});

describe("peh ui's server › the stream", () => {
  /** The `id:` lines of the stream until `count` of them came. */
  const ids = (headers: Record<string, string>, count: number) =>
    new Promise<number[]>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: server.port, path: `/api/runs/${runId}/stream?token=${server.token}`, headers: { host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
          const seen = [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
          if (seen.length >= count) {
            req.destroy();
            resolve(seen);
          }
        });
      });
      req.on("error", (error) => (req.destroyed ? undefined : reject(error)));
      req.end();
    });

  it("sends every event with its seq as the id, then the new ones live", async () => {
    const seen = ids({}, 3);
    const answer = await approve({ ...token(), "content-type": "application/json" });
    expect(answer.status).toBe(200);
    expect(await seen).toEqual([1, 2, 3]);
  });

  it("resumes after Last-Event-ID", async () => {
    await approve({ ...token(), "content-type": "application/json" });
    expect(await ids({ "last-event-id": "2" }, 1)).toEqual([3]);
  });
});

describe("peh ui's server › the runs' stream", () => {
  interface Message {
    event: string;
    id: string | undefined;
    data: { runs?: { run_id: string; state: string }[]; run_id?: string; state?: string };
  }

  /** Opens the runs' stream; `until` is called with the messages so far, and the stream ends once it says so. */
  const watch = (until: (messages: Message[]) => boolean, headers: Record<string, string> = {}, onOpen?: () => void) =>
    new Promise<{ messages: Message[]; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: server.port, path: `/api/runs/stream?token=${server.token}`, headers: { host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        onOpen?.();
        res.on("data", (chunk: string) => {
          text += chunk;
          const messages = text
            .split("\n\n")
            .slice(0, -1)
            .map((block) => Object.fromEntries(block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)])))
            .filter((fields) => fields.event !== undefined)
            .map((fields): Message => ({ event: fields.event!, id: fields.id, data: JSON.parse(fields.data!) }));
          if (until(messages)) {
            req.destroy();
            resolve({ messages, headers: res.headers });
          }
        });
      });
      req.on("error", (error) => (req.destroyed ? undefined : reject(error)));
      req.end();
    });

  it("sends the whole list, then a run whose state changes and a new run, live", async () => {
    let second: RunId | undefined;
    const { messages, headers } = await watch(
      (seen) => seen.some((m) => m.event === "run" && m.data.run_id === second),
      {},
      () => {
        // Acted once the stream is open: each change arrives on it, not in the first list.
        void (async () => {
          expect((await approve({ ...token(), "content-type": "application/json" })).status).toBe(200);
          second = (await createRun(store, { workspace: dir.path, from: "release.yaml" })).run_id;
        })();
      },
    );
    expect(headers["content-type"]).toContain("text/event-stream");
    expect(headers["access-control-allow-origin"]).toBeUndefined();
    expect(messages[0]).toMatchObject({ event: "runs", data: { runs: [{ run_id: runId }] } });
    expect(messages[0]!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(messages.find((m) => m.event === "run" && m.data.run_id === runId && m.data.state === "approved")).toBeDefined();
    expect(messages.at(-1)).toMatchObject({ event: "run", data: { run_id: second, state: "awaiting_approval" } });
    // Every change's last message carries the list's new fingerprint.
    expect(messages.at(-1)!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(messages.at(-1)!.id).not.toBe(messages[0]!.id);
  });

  it("resumes after Last-Event-ID: the list it names gets only what changes next, any other the whole list again", async () => {
    const first = await watch((seen) => seen.length >= 1);
    const listId = first.messages[0]!.id!;
    const resumed = await watch(
      (seen) => seen.length >= 1,
      { "last-event-id": listId },
      () => void approve({ ...token(), "content-type": "application/json" }),
    );
    expect(resumed.messages[0]).toMatchObject({ event: "run", data: { run_id: runId, state: "approved" } });
    const stale = await watch((seen) => seen.length >= 1, { "last-event-id": listId });
    expect(stale.messages[0]).toMatchObject({ event: "runs", data: { runs: [{ run_id: runId, state: "approved" }] } });
  });
});
