import { describe, expect, it } from "vitest";
import { classify, retryAfterMs, type FailureFacts } from "../runtime/execution/classify.js";

const facts = (output: string, extra: Partial<FailureFacts> = {}): FailureFacts => ({ exit_code: 1, signal: null, timed_out: false, stage: "run", output, ...extra });

describe("classify", () => {
  it.each([
    ["curl: (7) Failed to connect: ECONNREFUSED", "transient"],
    ["HTTP/1.1 429 Too Many Requests", "transient"],
    ["mkdir: cannot create directory '/etc/x': Permission denied", "permission"],
    ["cat: config.json: No such file or directory", "unrecoverable"],
    ["cd: can't cd to src/app.js: Not a directory", "unrecoverable"],
    ["the working directory /w/src/app.js is not a directory (ENOTDIR): nothing ran", "unrecoverable"],
    ["error: unknown option --frobnicate", "invalid_input"],
    ["AssertionError: expected 1 to be 2", "logic_error"],
  ])("%s → %s, with the line as evidence", (output, klass) => {
    const found = classify(facts(`starting\n${output}\n`));
    expect(found.class).toBe(klass);
    expect(found.evidence).toBe(output);
  });

  it("uses exit codes and signals when the output says nothing", () => {
    expect(classify(facts("", { exit_code: 2 })).class).toBe("invalid_input");
    expect(classify(facts("", { exit_code: 126 })).class).toBe("permission");
    expect(classify(facts("", { exit_code: 127 })).class).toBe("unrecoverable");
    expect(classify(facts("", { exit_code: 3 })).class).toBe("logic_error");
    expect(classify(facts("", { exit_code: null, signal: "SIGKILL" }))).toEqual({ class: "unknown", rule: "killed by a signal", evidence: "killed by SIGKILL" });
    expect(classify(facts("", { timed_out: true })).class).toBe("transient");
    expect(classify(facts("", { stage: "verify" })).class).toBe("logic_error");
  });

  it("checks the plan's rules before the built-in ones", () => {
    const found = classify(facts("AssertionError: flaky upstream"), [{ match: "flaky", class: "transient" }]);
    expect(found).toEqual({ class: "transient", rule: "plan rule /flaky/", evidence: "AssertionError: flaky upstream" });
  });
});

describe("Retry-After", () => {
  it("reads seconds or an HTTP date, the last one in the output", () => {
    expect(retryAfterMs("HTTP 429\nRetry-After: 7")).toBe(7_000);
    expect(retryAfterMs("retry-after: 1\nRetry-After: 3")).toBe(3_000);
    const now = Date.parse("2026-01-15T14:23:45Z");
    expect(retryAfterMs("Retry-After: Thu, 15 Jan 2026 14:24:45 GMT", now)).toBe(60_000);
    expect(retryAfterMs("no header here")).toBeUndefined();
  });
});
