// Security, end to end through the binary: scope paths that escape the workspace are refused
// (.., absolute, a symlink, a sibling with the workspace's name as prefix), a plan file can never
// grant itself trust, a risky task never runs without its phrase, and a secret a task prints
// leaves no trace in the store or on the terminal.
import { mkdir, readdir, readFile, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canonicalize, trustedRootFor } from "../../runtime/execution/trust/trust.js";
import { workspace, type Workspace } from "../support/workspace.js";
import { summary } from "./scale.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => ws.remove());

const planWith = (task: string, extra = "") => ["objective: Probe the sandbox", extra, "tasks:", `  - ${task}`].filter(Boolean).join("\n");
let checks = 0;

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe("torture › security", () => {
  it("refuses every scope path that escapes the workspace, and records nothing", async () => {
    const evil = join(dirname(ws.path), `${ws.path.split("/").at(-1)}-evil`);
    await mkdir(evil);
    await symlink(evil, join(ws.path, "link"));
    for (const path of ["..", "../x", "/etc", evil, "link", "link/sub"]) {
      await ws.write("plan.yaml", planWith(`{ id: a, objective: Write x.txt, scope: module, scope_path: "${path}", run: 'echo x > x.txt' }`));
      const result = ws.peh("plan", "--from", "plan.yaml");
      expect(result.code, path).toBe(2);
      expect(result.stderr).toMatch(/scope_path|workspace/);
      checks++;
    }
    expect(ws.peh("runs", "--json").stdout.trim()).toBe("[]");
    // A trusted root never covers a sibling that merely shares its name as a prefix.
    expect(trustedRootFor({ roots: [canonicalize(ws.path)], deny: [] }, evil)).toBeUndefined();
    checks++;
  });

  it("never lets a plan file grant itself trust", async () => {
    for (const extra of ["trust: { roots: ['.'] }", ""]) {
      const task = extra ? "{ id: a, objective: Write x.txt, scope: workspace, run: 'echo x > x.txt' }" : "{ id: a, objective: Write x.txt, scope: workspace, run: 'echo x > x.txt', trusted: true, trust_root: '.' }";
      await ws.write("plan.yaml", planWith(task, extra));
      const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana");
      // Either the plan is refused for its unknown field, or its worker waits for a human's trust.
      expect([2, 3], result.stderr).toContain(result.code);
      expect(await ws.read("x.txt")).toBe("");
      checks++;
    }
  });

  it("never runs a risky task without its phrase", async () => {
    await ws.write("plan.yaml", planWith("{ id: wipe, objective: Drop the staging database, scope: workspace, run: 'echo dropped > dropped.txt', risky: true, confirm: 'drop staging' }"));
    for (const confirm of [[], ["--confirm", "yes"], ["--confirm", "Drop staging"], ["--confirm", "drop staging "]]) {
      const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", ...confirm);
      expect(result.code).not.toBe(0);
      expect(await ws.read("dropped.txt")).toBe("");
      checks++;
    }
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--confirm", "drop staging").code).toBe(0);
    expect(await ws.read("dropped.txt")).toBe("dropped\n");
  });

  it("leaves no trace of a secret a task prints: not in the store, not on the terminal", async () => {
    const secret = "sk-live-5f4dcc3b5aa765d61d8327deb882cf99";
    await ws.write("plan.yaml", planWith('{ id: leak, objective: Print the token, scope: workspace, run: "echo token=$DEPLOY_TOKEN; echo $DEPLOY_TOKEN >&2; exit 1" }', "recovery: { logic_error: { max_retries: 0 } }"));
    ws.env.DEPLOY_TOKEN = secret;
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    const status = ws.peh("status");
    const log = ws.peh("log", "--json");
    delete ws.env.DEPLOY_TOKEN;
    for (const file of await files(join(ws.path, ".peh"))) expect(await readFile(file, "utf8"), file).not.toContain(secret);
    for (const output of [result, status, log]) expect(`${output.stdout}${output.stderr}`).not.toContain(secret);
    checks++;
  });

  it("leaves no trace of credentials in URLs, key shapes, secret names, or a secret printed over two lines, and keeps what is not secret", async () => {
    const pg = "pg-5f4dcc3b5aa765d61d83";
    const token = "tok-27deb882cf99e1f3a9b0c4d2";
    const url = "postgres://app:db-s3cret-pw@db.internal/app";
    const key = "sk-proj-AbCdEf0123456789ghIJklMNopQRst";
    const script = [
      `echo "connecting to ${url}"`,
      `echo "using ${key}"`,
      'echo "pg is $PGPASS"',
      // The value in two pieces on two lines, and wrapped at a column over three.
      'printf "%.9s\\n" "$PGPASS"; printf "%s\\n" "${PGPASS#?????????}"',
      'printf %s "$DEPLOY_TOKEN" | fold -w 10; echo',
      'echo "policy $PASSWORD_POLICY by $AUTHOR"',
      "exit 1",
    ].join("\n");
    await ws.write("leak.sh", `${script}\n`);
    await ws.write("plan.yaml", planWith("{ id: leak, objective: Print the credentials, scope: workspace, run: 'sh ./leak.sh' }", "recovery: { logic_error: { max_retries: 0 } }"));
    Object.assign(ws.env, { PGPASS: pg, DEPLOY_TOKEN: token, PASSWORD_POLICY: "strict-policy", AUTHOR: "ana-lopez" });
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    const views = [result, ws.peh("status"), ws.peh("log", "--json"), ws.peh("report"), ws.peh("output", "leak"), ws.peh("output", "leak", "--raw")];
    for (const name of ["PGPASS", "DEPLOY_TOKEN", "PASSWORD_POLICY", "AUTHOR"]) delete ws.env[name];
    const pieces = [pg, pg.slice(0, 9), pg.slice(9), token, ...token.match(/.{1,10}/g)!.filter((piece) => piece.length >= 8), "db-s3cret-pw", key];
    const stored = await Promise.all((await files(join(ws.path, ".peh"))).map((file) => readFile(file, "utf8")));
    for (const text of [...stored, ...views.map((view) => `${view.stdout}${view.stderr}`)]) for (const piece of pieces) expect(text).not.toContain(piece);
    // What only looks like a secret's name is not one: its value stays readable.
    expect(views[4]!.stdout).toContain("policy strict-policy by ana-lopez");
    expect(views[4]!.stdout).toContain("postgres://app:[redacted]@db.internal/app");
    checks++;
    summary(`security: ${checks} checks passed (scope escapes refused, no self-granted trust, no risky run without its phrase, secrets redacted everywhere)`);
  });
});
