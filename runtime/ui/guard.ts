// The loopback defences of `peh ui`, each a small check on a request: only the server's own Host
// names (DNS rebinding), the per-server token on every API and stream request, an Origin that is
// the server's own, and mutations only as JSON POSTs carrying the token as a header (which no
// form and no simple cross-site request can send). Local servers that skipped one of these got
// CVEs (Vite, esbuild, Vitest --ui, MCP Inspector; research/run-view.md §3).
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The header the page sends the token in. */
export const TOKEN_HEADER = "x-peh-token";

/** Headers on every answer: nothing from elsewhere, no framing, no sniffing, no referrer, no CORS. */
export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
};

export interface Refusal {
  status: number;
  code: "HOST_REFUSED" | "ORIGIN_REFUSED" | "TOKEN_REFUSED" | "METHOD_REFUSED" | "CONTENT_TYPE_REFUSED";
  message: string;
}

export class Guard {
  constructor(
    private readonly port: number,
    private readonly token: string,
  ) {}

  /** The names the server answers to: a rebound DNS name pointing at 127.0.0.1 is not one of them. */
  get hosts(): string[] {
    return [`127.0.0.1:${this.port}`, `localhost:${this.port}`];
  }

  get origins(): string[] {
    return this.hosts.map((host) => `http://${host}`);
  }

  /** Every request: its Host is one of the server's names; its Origin, when it has one, the server's own. */
  checkRequest(request: IncomingMessage): Refusal | undefined {
    const host = request.headers.host;
    if (host === undefined || !this.hosts.includes(host.toLowerCase())) {
      return { status: 403, code: "HOST_REFUSED", message: `peh ui answers only to ${this.hosts.join(" and ")}, not to Host ${JSON.stringify(host ?? "")}` };
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !this.origins.includes(origin.toLowerCase())) {
      return { status: 403, code: "ORIGIN_REFUSED", message: `peh ui takes requests from its own page only, not from ${JSON.stringify(origin)}` };
    }
    return undefined;
  }

  /**
   * An API or stream request carries the token: as the header, or in the query for the stream
   * only (EventSource cannot set headers). A mutation never takes it from the query.
   */
  checkToken(request: IncomingMessage, query: URLSearchParams, { queryAllowed }: { queryAllowed: boolean }): Refusal | undefined {
    const header = request.headers[TOKEN_HEADER];
    const given = typeof header === "string" ? header : queryAllowed ? query.get("token") : null;
    if (given !== null && given !== undefined && this.matches(given)) return undefined;
    return {
      status: 401,
      code: "TOKEN_REFUSED",
      message: given ? "the token is wrong: this server was started with another one" : "the request carries no token",
    };
  }

  /** A mutation: POST, with a JSON body. A form (urlencoded, multipart, text/plain) is refused before its body is read. */
  checkMutation(request: IncomingMessage): Refusal | undefined {
    if (request.method !== "POST") return { status: 405, code: "METHOD_REFUSED", message: `${request.method} cannot act on a run: actions are POST requests from the page` };
    const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      return { status: 415, code: "CONTENT_TYPE_REFUSED", message: `actions take a JSON body (application/json), not ${JSON.stringify(type || "none")}` };
    }
    return undefined;
  }

  private matches(given: string): boolean {
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
