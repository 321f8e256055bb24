// The wire of DESIGN §8: newline-delimited JSON, one request per line, one response line each.
// Two forms: the public contract's plain form ({"id","method","params"} → {"id","result"} or
// {"id","error":"<message>"}) and JSON-RPC 2.0 ("jsonrpc":"2.0"; errors {code, message}; batches;
// a request without an id is a notification and gets no response). A bad line never stops a
// service: it gets an error response, and the next line is read.
import { z } from "zod";
import { isPehError } from "../../events/index.js";

export const RPC_ERRORS = {
  parse: -32700,
  invalidRequest: -32600,
  unknownMethod: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** A method refused (peh's own error): the message says why, `data` has peh's code and hint. */
  refused: -32000,
} as const;

/** One method: its params' schema, its result's schema (for the JSON Schemas), and its work. */
export interface Method<P = unknown, R = unknown> {
  summary: string;
  params: z.ZodType<P>;
  result: z.ZodType<R>;
  handle(params: P): Promise<R>;
}

export type Service = Record<string, Method<never, unknown>>;

/** Defines a method with its types tied to its schemas. */
export function method<P, R>(definition: Method<P, R>): Method<never, unknown> {
  return definition as unknown as Method<never, unknown>;
}

type Id = string | number | null;
type Form = "plain" | "2.0";

interface ErrorInfo {
  code: number;
  message: string;
  data?: unknown;
}

/** The largest request line answered; a longer one is refused as an invalid request. */
export const MAX_LINE = 8 * 1024 * 1024;

function respond(form: Form, id: Id, outcome: { result: unknown } | { error: ErrorInfo }): Record<string, unknown> {
  if (form === "2.0") return { jsonrpc: "2.0", id, ...outcome };
  if ("result" in outcome) return { id, result: outcome.result };
  return { id, error: outcome.error.message };
}

const failure = (code: number, message: string, data?: unknown): { error: ErrorInfo } => ({ error: { code, message, ...(data === undefined ? {} : { data }) } });

/**
 * The response line for one request line, or undefined when nothing is to be written (a blank
 * line, or notifications only).
 */
export async function answerLine(service: Service, line: string): Promise<string | undefined> {
  if (line.trim() === "") return undefined;
  // Which form a line that is not even JSON meant: a guess from its text, for the error's shape.
  const guessed: Form = /"jsonrpc"\s*:\s*"2\.0"/.test(line) ? "2.0" : "plain";
  if (line.length > MAX_LINE) {
    return JSON.stringify(respond(guessed, null, failure(RPC_ERRORS.invalidRequest, `invalid request: the line is ${line.length} characters; at most ${MAX_LINE}`)));
  }
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    return JSON.stringify(respond(guessed, null, failure(RPC_ERRORS.parse, `parse error: ${(error as Error).message}`)));
  }
  if (Array.isArray(json)) {
    if (json.length === 0) return JSON.stringify(respond("2.0", null, failure(RPC_ERRORS.invalidRequest, "invalid request: an empty batch")));
    const answers: Record<string, unknown>[] = [];
    for (const request of json) {
      const answer = await answerRequest(service, request);
      if (answer) answers.push(answer);
    }
    return answers.length > 0 ? JSON.stringify(answers) : undefined;
  }
  const answer = await answerRequest(service, json);
  return answer && JSON.stringify(answer);
}

async function answerRequest(service: Service, request: unknown): Promise<Record<string, unknown> | undefined> {
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    return respond("2.0", null, failure(RPC_ERRORS.invalidRequest, "invalid request: a request is an object with id, method and params"));
  }
  const r = request as Record<string, unknown>;
  const form: Form = "jsonrpc" in r ? "2.0" : "plain";
  const hasId = "id" in r;
  const id: Id = typeof r.id === "string" || typeof r.id === "number" || r.id === null ? (r.id as Id) : null;
  const invalid = (message: string) => respond(form, id, failure(RPC_ERRORS.invalidRequest, `invalid request: ${message}`));
  if ("jsonrpc" in r && r.jsonrpc !== "2.0") return invalid(`"jsonrpc" must be "2.0", not ${JSON.stringify(r.jsonrpc)}`);
  if (hasId && id === null && r.id !== null) return invalid("the id must be a string, a number or null");
  if (!hasId && form === "plain") return invalid('a request needs an "id" (the plain form answers every request)');
  if (typeof r.method !== "string" || r.method === "") return invalid('"method" must be a method name');
  const notification = form === "2.0" && !hasId;
  const outcome = await call(service, r.method, r.params);
  return notification ? undefined : respond(form, id, outcome);
}

async function call(service: Service, name: string, rawParams: unknown): Promise<{ result: unknown } | { error: ErrorInfo }> {
  const target = Object.hasOwn(service, name) ? service[name] : undefined;
  if (!target) return failure(RPC_ERRORS.unknownMethod, `unknown method "${name}"; this service has: ${Object.keys(service).join(", ")}`);
  const params = target.params.safeParse(rawParams ?? {});
  if (!params.success) {
    const issue = params.error.issues[0];
    return failure(RPC_ERRORS.invalidParams, `invalid params: ${issue?.path.join(".") || "params"}: ${issue?.message}`);
  }
  try {
    return { result: await target.handle(params.data as never) };
  } catch (error) {
    if (isPehError(error)) {
      return failure(RPC_ERRORS.refused, `${error.message}${error.hint ? ` (${error.hint})` : ""}`, { code: error.code, ...(error.hint ? { hint: error.hint } : {}) });
    }
    return failure(RPC_ERRORS.internal, `internal error: ${(error as Error)?.message ?? String(error)}`);
  }
}
