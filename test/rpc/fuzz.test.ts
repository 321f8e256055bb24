// Random lines at a running service (fast-check): every reply is a valid response, and the
// service keeps answering. A sentinel request after each line shows where its replies end.
import { fc, test } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { isResponse, startService, type ServiceProcess } from "../support/service.js";
import { tempDir } from "../support/temp-dir.js";

let dir: { path: string; remove(): Promise<void> };
let service: ServiceProcess;
beforeAll(async () => {
  dir = await tempDir();
  service = startService(["bootstrap"], { cwd: dir.path, env: { XDG_CONFIG_HOME: `${dir.path}/config`, PEH_TRUST_ROOTS: "" } });
});
afterAll(async () => {
  const { code } = await service.end();
  expect(code).toBe(0);
  await dir.remove();
});

const noNewline = (text: string) => text.replace(/[\r\n]/g, " ");
const request = fc.record(
  {
    jsonrpc: fc.constantFrom("2.0", "1.0", 2),
    id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.object()),
    method: fc.oneof(fc.constantFrom("execute_phase", "decompose", "", "__proto__", "constructor", "toString"), fc.string()),
    params: fc.oneof(fc.object(), fc.array(fc.anything()), fc.record({ phase: fc.oneof(fc.constantFrom("cli_entry", "mcp_fastpath"), fc.string()) }), fc.anything()),
  },
  { requiredKeys: [] },
);
const line = fc
  .oneof(fc.string({ maxLength: 300 }), fc.json(), request.map((r) => JSON.stringify(r)), fc.array(request, { maxLength: 4 }).map((b) => JSON.stringify(b)))
  .map(noNewline)
  .filter((text) => text.trim() !== "");

describe("the protocol under random lines", () => {
  let n = 0;
  test.prop([line], { numRuns: 300 })("every reply is a valid response and the service keeps answering", async (text) => {
    const sentinel = `sentinel-${n++}`;
    service.write(`${text}\n${JSON.stringify({ jsonrpc: "2.0", id: sentinel, method: "execute_phase", params: { phase: "cli_entry" } })}\n`);
    for (let replies = 0; ; replies++) {
      const reply = await service.next();
      if (!Array.isArray(reply) && reply.id === sentinel) {
        expect(reply.result.success).toBe(true);
        break;
      }
      expect(replies, "at most one reply per line").toBe(0);
      if (Array.isArray(reply)) for (const item of reply) expect(isResponse(item), JSON.stringify(item)).toBe(true);
      else expect(isResponse(reply), JSON.stringify(reply)).toBe(true);
    }
  });
});
