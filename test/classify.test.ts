import { describe, expect, it } from "vitest";
import { classify, retryAfterMs, type FailureFacts } from "../runtime/execution/failure/classify.js";

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

describe("classify › only what the process printed, status codes in context", () => {
  it.each([
    // Network failures of common tools, in their own words.
    ["curl: (7) Failed to connect to localhost port 8080 after 0 ms: Connection refused", "transient"],
    ["curl: (6) Could not resolve host: api.example.invalid", "transient"],
    ["curl: (28) Operation timed out after 5001 milliseconds with 0 bytes received", "transient"],
    ["curl: (22) The requested URL returned error: 503", "transient"],
    ["Connecting to example.com (example.com)|93.184.216.34|:443... failed: Connection timed out.", "transient"],
    ["wget: unable to resolve host address 'mirror.example.invalid'", "transient"],
    ["fatal: unable to access 'https://github.com/acme/app.git/': Could not resolve host: github.com", "transient"],
    ["npm ERR! code ETIMEDOUT", "transient"],
    ["npm ERR! request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org", "transient"],
    ["getaddrinfo EAI_AGAIN registry.npmjs.org", "transient"],
    ["ssh: connect to host deploy.example.com port 22: Connection refused", "transient"],
    ["ssh: Could not resolve hostname deploy: Name or service not known", "transient"],
    ["psql: error: connection to server at \"db\" (10.0.0.5), port 5432 failed: Connection refused", "transient"],
    // HTTP statuses where the text says they are one.
    ["HTTP 503", "transient"],
    ["< HTTP/1.1 502 Bad Gateway", "transient"],
    ["HTTP/2 504", "transient"],
    ["urllib.error.HTTPError: HTTP Error 503: Service Unavailable", "transient"],
    ["upstream answered with status 503", "transient"],
    ["Request failed with status code: 429", "transient"],
    ['{"statusCode":429,"message":"slow down"}', "transient"],
    ["503 Service Unavailable", "transient"],
    ["429 Too Many Requests", "transient"],
    ["the gateway returned 504", "transient"],
    ["deploy failed: error 502", "transient"],
    ["HTTP/1.1 403 Forbidden", "permission"],
    ["fatal: unable to access 'https://github.com/acme/app.git/': The requested URL returned error: 403", "permission"],
    ["request failed with status 401", "permission"],
    ["GET /v1/items/9 returned 404", "unrecoverable"],
    ["HTTP/1.1 410 Gone", "unrecoverable"],
    // Assertions before validation words.
    ["assertion failed - schema mismatch", "logic_error"],
    ["AssertionError: expected the schema to be valid", "logic_error"],
    ["invalid schema: missing field id", "invalid_input"],
  ])("%s → %s, with the line as evidence", (output, klass) => {
    const found = classify(facts(`starting\n${output}\n`));
    expect(found.class).toBe(klass);
    expect(found.evidence).toBe(output);
  });

  it.each([
    "imported 502 rows",
    "processed 429 records in 503 ms",
    "the query returned 502 rows",
    "took 504ms, listening on port 5030",
    "error in row 503 of data.csv",
    "ran 403 tests, found 404 files, 401 of them new",
  ])("a number in prose is not a status: %s fails by its exit code, with that line as evidence", (output) => {
    expect(classify(facts(`${output}\n`))).toEqual({ class: "logic_error", rule: "exit 1", evidence: output });
  });

  it("takes the evidence of an exit code from the last line the process printed, or says it printed nothing", () => {
    expect(classify(facts("compiling\nlinking app\n", { exit_code: 3 }))).toEqual({ class: "logic_error", rule: "exit 3", evidence: "linking app" });
    expect(classify(facts("", { exit_code: 2 }))).toEqual({ class: "invalid_input", rule: "exit 2 (usage)", evidence: "the command printed nothing" });
    expect(classify(facts("  \n", { exit_code: 127 })).evidence).toBe("the command printed nothing");
    expect(classify(facts("", { stage: "verify" })).evidence).toBe("the acceptance test printed nothing");
  });

  it("classifies a process that did not start by why, with peh's account as the evidence", () => {
    const missing = { code: "ENOENT", message: "the working directory /w/src/new does not exist (ENOENT): nothing ran" };
    expect(classify(facts("", { exit_code: null, spawn_error: missing }))).toEqual({ class: "unrecoverable", rule: "did not start (ENOENT)", evidence: missing.message });
    expect(classify(facts("", { exit_code: null, spawn_error: { code: "EACCES", message: "spawn /bin/sh EACCES" } })).class).toBe("permission");
  });

  it("sees through colours to match, and shows the control characters escaped in the evidence", () => {
    const line = "\x1b[31mError: connect ECONNREFUSED 127.0.0.1:5432\x1b[0m";
    expect(classify(facts(`${line}\n`))).toEqual({ class: "transient", rule: "network or rate limit", evidence: "\\x1b[31mError: connect ECONNREFUSED 127.0.0.1:5432\\x1b[0m" });
    expect(classify(facts("HTTP/1.1 \x1b[1m503\x1b[0m\n")).class).toBe("transient");
    const evidence = classify(facts("\x1b]0;pwned\x07\x1b[2J10%\r100%\rassert failed\x07\n")).evidence;
    expect(evidence).toBe("\\x1b]0;pwned\\x07\\x1b[2J10%\\r100%\\rassert failed\\x07");
    expect(evidence).not.toMatch(/[\x00-\x1f\x7f]/);
  });

  it("shows the part of a long line that matched", () => {
    const evidence = classify(facts(`${"x".repeat(1_000)} ECONNRESET ${"y".repeat(1_000)}\n`)).evidence;
    expect(evidence).toContain("ECONNRESET");
    expect(evidence.length).toBeLessThanOrEqual(302);
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
