// `peh ui`'s server, on node:http: the page's files, the read API, the live stream and the human
// actions, behind the loopback defences of guard.ts. It binds 127.0.0.1 only, on a random port
// unless one is asked for, with a random token the printed URL carries.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isPehError, PehError, type EventStore, type RunId } from "../../events/index.js";
import { attemptOutput } from "../attempt-output.js";
import { isAction, performAction } from "./actions.js";
import { firstSeq, runOf, streamRun, streamRuns } from "./api.js";
import { ASSET_TYPES, readAssets, type Assets } from "./assets.js";
import { Guard, SECURITY_HEADERS, type Refusal } from "./guard.js";
import { RunsFeed } from "./runs-feed.js";

export interface UiServerOptions {
  store: EventStore;
  /** 0 (default): a free port chosen by the system. */
  port?: number;
  /** The recorded output of an attempt; by default what `peh output` reads, from either store (runtime/store/output.ts). */
  outputOf?: (runId: RunId, task: string, attempt?: number) => Promise<object>;
  /** The built page (default: dist/ui). */
  assets?: Assets;
  /** A fixed token, for tests only: by default a fresh random one. */
  token?: string;
}

export interface UiServer {
  /** The URL to open, token included. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** A body larger than this is refused unread: an action is a few fields. */
const MAX_BODY = 64 * 1024;

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const assets = options.assets ?? (await readAssets());
  const token = options.token ?? randomBytes(16).toString("hex");
  let guard: Guard | undefined;
  const feed = new RunsFeed(options.store);
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => sendError(response, error));
  });
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const refused = guard!.checkRequest(request);
    if (refused) return sendRefusal(response, refused);
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;
    if (!path.startsWith("/api/")) return sendAsset(request, response, path, assets);
    const parts = path.split("/").slice(2);
    // The runs' stream and a run's: EventSource cannot send a header, so these take the token in the query.
    const isStream = request.method === "GET" && parts[0] === "runs" && parts.at(-1) === "stream" && (parts.length === 2 || parts.length === 3);
    const tokenRefused = guard!.checkToken(request, url.searchParams, { queryAllowed: isStream });
    if (tokenRefused) return sendRefusal(response, tokenRefused);
    const store = options.store;
    if (parts.length === 1 && parts[0] === "runs") return get(request, response, async () => ({ runs: (await feed.current()).runs }));
    if (isStream && parts.length === 2) return streamRuns(feed, request, response, SECURITY_HEADERS);
    if (parts[0] !== "runs" || parts.length !== 3) return sendJson(response, 404, { error: { code: "NOT_FOUND", message: `no API at ${path}` } });
    const [, runText, what] = parts as [string, string, string];
    if (isAction(what)) {
      const mutation = guard!.checkMutation(request);
      if (mutation) return sendRefusal(response, mutation);
      const runId = await runOf(store, runText);
      const body = await readJson(request);
      return sendJson(response, 200, await performAction(store, runId, what, body));
    }
    if (request.method !== "GET") return sendRefusal(response, { status: 405, code: "METHOD_REFUSED", message: `${request.method} ${path}: only GET reads a run` });
    const runId = await runOf(store, runText);
    if (what === "events") {
      const from = firstSeq(request, url.searchParams);
      return sendJson(response, 200, { run_id: runId, events: await store.read(runId, { from }) });
    }
    if (what === "stream") return streamRun(store, runId, firstSeq(request, url.searchParams), request, response, SECURITY_HEADERS);
    if (what === "output") {
      const attempt = url.searchParams.get("attempt");
      const outputOf = options.outputOf ?? ((run: RunId, task: string, n?: number) => attemptOutput(store, run, task, n));
      return sendJson(response, 200, await outputOf(runId, url.searchParams.get("task") ?? "", attempt === null ? undefined : Number(attempt)));
    }
    return sendJson(response, 404, { error: { code: "NOT_FOUND", message: `no API at ${path}` } });
  };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EADDRINUSE") throw new PehError("USAGE", `port ${options.port} on 127.0.0.1 is taken`, "pick another with --port N, or leave it out for a free one");
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  guard = new Guard(port, token);
  const close = () => {
    feed.close();
    return closeServer(server);
  };
  return { url: `http://127.0.0.1:${port}/?token=${token}`, port, token, close };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Open streams never end by themselves.
    server.closeAllConnections();
  });
}

async function get(request: IncomingMessage, response: ServerResponse, answer: () => Promise<object>): Promise<void> {
  if (request.method !== "GET") return sendRefusal(response, { status: 405, code: "METHOD_REFUSED", message: `${request.method}: only GET reads` });
  sendJson(response, 200, await answer());
}

function sendAsset(request: IncomingMessage, response: ServerResponse, path: string, assets: Assets): void {
  if (request.method !== "GET" && request.method !== "HEAD") return sendRefusal(response, { status: 405, code: "METHOD_REFUSED", message: `${request.method}: the page's files are read with GET` });
  if (path === "/favicon.ico") {
    response.writeHead(204, SECURITY_HEADERS);
    return void response.end();
  }
  const name = path === "/" ? "index.html" : path.slice(1);
  const files: Record<string, string | undefined> = { "index.html": assets.html, "app.js": assets.js, "app.css": assets.css, "prefetch.js": assets.prefetch };
  const body = Object.hasOwn(files, name) ? files[name] : undefined;
  if (body === undefined) return sendJson(response, 404, { error: { code: "NOT_FOUND", message: `no file ${path}` } });
  response.writeHead(200, { ...SECURITY_HEADERS, "content-type": ASSET_TYPES[name]!, "cache-control": "no-cache" });
  response.end(request.method === "HEAD" ? undefined : body);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new PehError("USAGE", `the request body is over ${MAX_BODY} bytes; nothing was recorded`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new PehError("USAGE", "the request body is not JSON; nothing was recorded", "send the action from the page");
  }
}

function sendJson(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { ...SECURITY_HEADERS, "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  response.end(JSON.stringify(body));
}

function sendRefusal(response: ServerResponse, refusal: Refusal): void {
  sendJson(response, refusal.status, { error: { code: refusal.code, message: refusal.message } });
}

/** A PehError as the CLI would print it (code, message, hint); anything else as a bug. */
function sendError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (!isPehError(error)) {
    sendJson(response, 500, { error: { code: "INTERNAL", message: `peh ui failed: ${error instanceof Error ? error.message : String(error)}`, hint: "this is a bug in peh: please report it with the steps" } });
    return;
  }
  const status = error.code === "RUN_NOT_FOUND" ? 404 : error.code === "APPEND_CONFLICT" ? 409 : error.code === "USAGE" ? 400 : error.code === "STORE_CORRUPT" ? 500 : 422;
  sendJson(response, status, { error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } });
}
