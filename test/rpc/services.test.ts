// The JSON-RPC services as processes, over pipes (DESIGN §8): every method, each error code, bad
// JSON followed by a good request, a huge line, an unknown method, requests without an id, EOF in
// the middle of a line, and a round trip with the Python example planner.
import { existsSync } from "node:fs";
import { symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BOOTSTRAP_PHASES, PlanTaskSchema } from "../../events/index.js";
import { peh } from "../support/cli.js";
import { startService } from "../support/service.js";
import { tempDir } from "../support/temp-dir.js";

let dir: { path: string; remove(): Promise<void> };
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await tempDir();
  env = { XDG_CONFIG_HOME: `${dir.path}/config`, PEH_TRUST_ROOTS: "", PEH_ACTOR: "" };
});
afterEach(async () => dir.remove());

const rpc = (id: number | string, method: string, params?: unknown) => ({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
const planner = fileURLToPath(new URL("../../examples/planner.py", import.meta.url));

describe("peh serve planning", () => {
  it("decompose answers TaskPackets in the plain form, and exits at the end of input", async () => {
    const service = startService(["planning"], { cwd: dir.path, env });
    const answer = await service.ask({ id: "1", method: "decompose", params: { objective: "add dark mode to the settings page" } });
    expect(answer.id).toBe("1");
    expect(answer.result.length).toBeGreaterThanOrEqual(3);
    for (const packet of answer.result) expect(PlanTaskSchema.safeParse(packet).success, JSON.stringify(packet)).toBe(true);
    const refined = await service.ask({ id: "2", method: "refine", params: { packets: answer.result, feedback: "add Write the changelog entry" } });
    expect(refined.result.map((p: { objective: string }) => p.objective)).toContain("Write the changelog entry");
    // Free-form reviewer feedback: packets back, the agent tasks' prompts carrying it (issue 22).
    const guided = await service.ask({ id: "3", method: "refine", params: { packets: answer.result, feedback: "focus on the toggle first" } });
    expect(guided.error).toBeUndefined();
    const prompts = guided.result.filter((p: { agent?: string }) => p.agent !== undefined).map((p: { agent: string }) => p.agent);
    expect(prompts.length).toBeGreaterThan(0);
    for (const prompt of prompts) expect(prompt).toContain("Reviewer guidance: focus on the toggle first");
    expect((await service.end()).code).toBe(0);
  });

  it("uses an external planner (the Python example) with --planner", async () => {
    const service = startService(["planning", "--planner", `cmd:python3 ${planner}`], { cwd: dir.path, env });
    const answer = await service.ask(rpc(1, "decompose", { objective: "audit the IAM roles" }));
    expect(answer.result.map((p: { id: string }) => p.id)).toEqual(["task-1", "task-2", "task-3"]);
    expect(answer.result[0].objective).toContain("audit the IAM roles");
    const refused = await service.ask(rpc(2, "refine", { packets: answer.result, feedback: "remove the review" }));
    expect(refused.error.code).toBe(-32000);
    expect(refused.error.message).toContain('only understands "add <objective>"');
    await service.end();
  });
});

describe("peh serve bootstrap", () => {
  it("execute_phase runs every phase, idempotently, with artifacts and diagnostics", async () => {
    const service = startService(["bootstrap"], { cwd: dir.path, env });
    for (const [i, phase] of BOOTSTRAP_PHASES.entries()) {
      const first = await service.ask(rpc(i, "execute_phase", { phase }));
      expect(first.result).toMatchObject({ phase, success: true });
      expect(Array.isArray(first.result.diagnostics)).toBe(true);
      const again = await service.ask(rpc(`${i}b`, "execute_phase", { phase }));
      expect(again.result).toEqual(first.result);
    }
    const missing = await service.ask(rpc(9, "execute_phase", { phase: "cli_entry", context: { workspace: "no/such/dir" } }));
    expect(missing.result).toMatchObject({ phase: "cli_entry", success: false });
    expect(missing.result.diagnostics[0]).toContain("does not exist");
    await service.end();
  });
});

describe("peh serve worker", () => {
  const packet = { objective: "Build the app", scope: "workspace", acceptance_tests: ["true"] };

  it("takes a worker through trust over the worker machine, records it in a run, and refuses a second mark_trusted", async () => {
    const service = startService(["worker", "--as", "ana"], { cwd: dir.path, env });
    const spawned = await service.ask(rpc(1, "spawn_worker", { task_packet: packet }));
    const worker_id = spawned.result.worker_id;
    expect(worker_id).toBe("build-app#1");
    expect((await service.ask(rpc(2, "check_trust", { worker_id }))).result).toEqual({ requires_approval: true });
    expect((await service.ask(rpc(3, "mark_trusted", { worker_id, approval_source: "bo" }))).result).toEqual({ success: true });
    const again = await service.ask(rpc(4, "mark_trusted", { worker_id, approval_source: "cy" }));
    expect(again.error).toMatchObject({ code: -32000, message: expect.stringMatching(/not allowed for worker:build-app#1 in state ready_for_prompt/) });
    const view = (await service.ask(rpc(5, "get_worker", { worker_id }))).result;
    expect(view).toMatchObject({ worker_id, state: "ready_for_prompt", trust: { source: "manual", by: "bo" } });
    expect(view.events.map((e: { kind: string }) => e.kind)).toEqual(["spawning", "trust_required", "trust_resolved", "ready_for_prompt"]);
    for (const event of view.events) {
      expect(event).toMatchObject({ event_id: expect.any(String), worker_id, timestamp: expect.any(Number), payload: expect.any(Object) });
      expect(event.timestamp).toBeLessThan(1e11); // epoch seconds, not milliseconds
    }
    const unknown = await service.ask(rpc(6, "get_worker", { worker_id: "ghost#1" }));
    expect(unknown.error.message).toContain('unknown worker "ghost#1"');
    await service.end();
    // The workers' run is replayed by every view that names it.
    const status = JSON.parse(peh(["status", view.run_id, "--json"], { cwd: dir.path, env }).stdout);
    expect(status.workers).toEqual([expect.objectContaining({ id: worker_id, state: "ready_for_prompt" })]);
    expect(peh(["log", view.run_id], { cwd: dir.path, env }).stdout).toContain("WORKER_TRUST_RESOLVED [Task 1/1] build-app · build-app#1: trusted by bo");
  });

  it("never lets peh run run a service run's commands, nor makes it another command's default run", async () => {
    const service = startService(["worker", "--as", "ana"], { cwd: dir.path, env });
    const wipe = { objective: "Write pwned.txt", scope: "workspace", run: "echo pwned > pwned.txt", acceptance_tests: ["true"] };
    const { worker_id } = (await service.ask(rpc(1, "spawn_worker", { task_packet: wipe }))).result;
    const { run_id } = (await service.ask(rpc(2, "get_worker", { worker_id }))).result;
    await service.end();
    // No run of the store is anyone's default but a plan's.
    for (const args of [["run", "--trust-root", "."], ["status"], ["trust", "--task", "write-pwned-txt", "--as", "bo"]]) {
      const result = peh(args, { cwd: dir.path, env });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toContain(`this store has no runs but the worker service's (${run_id})`);
    }
    // Named, a human may trust its worker; peh run still refuses it, and nothing ran.
    expect(peh(["trust", run_id, "--task", "write-pwned-txt", "--as", "bo"], { cwd: dir.path, env }).code).toBe(0);
    const named = peh(["run", run_id, "--trust-root", "."], { cwd: dir.path, env });
    expect(named.code).toBe(2);
    expect(named.stderr).toContain(`run ${run_id} is the worker service's run (peh serve worker): peh run never runs its workers' commands; nothing was started`);
    expect(existsSync(join(dir.path, "pwned.txt"))).toBe(false);
    // A plan of a human's is the default again, even when the service run is newer.
    await writeFile(join(dir.path, "plan.yaml"), "objective: Write notes.txt\ntasks:\n  - { id: notes, objective: Write notes.txt, scope: workspace, run: 'echo n > notes.txt', acceptance_tests: ['test -f notes.txt'] }\n");
    const planned = peh(["plan", "--from", "plan.yaml", "--json"], { cwd: dir.path, env });
    const later = startService(["worker", "--as", "ana"], { cwd: dir.path, env });
    await later.ask(rpc(1, "spawn_worker", { task_packet: packet }));
    await later.end();
    expect(JSON.parse(peh(["show", "--json"], { cwd: dir.path, env }).stdout).run_id).toBe(JSON.parse(planned.stdout).run_id);
  });

  it("infers risk for a packet as for a plan file: a risky packet needs its phrase in confirm", async () => {
    const service = startService(["worker", "--as", "ana"], { cwd: dir.path, env });
    const risky = [
      { id: "deploy", objective: "Deploy to production", scope: "workspace", acceptance_tests: ["true"] },
      { id: "wipe", objective: "Clean the build", scope: "workspace", run: "rm -rf build", acceptance_tests: ["true"] },
      { id: "drop", objective: "Reset the users", scope: "workspace", run: "psql -c 'DROP TABLE users'", acceptance_tests: ["true"], risky: false },
    ];
    for (const [i, task_packet] of risky.entries()) {
      const refused = await service.ask(rpc(i, "spawn_worker", { task_packet }));
      expect(refused.error, task_packet.id).toMatchObject({ code: -32000, message: expect.stringContaining(`the task packet is risky: each needs its phrase: ${task_packet.id} ("${task_packet.id}")`) });
      expect(refused.error.data.hint).toContain("params.confirm");
      expect((await service.ask(rpc(`${i}b`, "spawn_worker", { task_packet, confirm: task_packet.id }))).result).toEqual({ worker_id: `${task_packet.id}#1` });
    }
    await service.end();
  });

  it("checks a packet's scope against the file system like a plan file's: a symlink out of the workspace is refused", async () => {
    await symlink("/etc", join(dir.path, "out"));
    const service = startService(["worker", "--as", "ana"], { cwd: dir.path, env });
    const task_packet = { id: "leak", objective: "Write the notes", scope: "module", scope_path: "out", acceptance_tests: ["true"] };
    const refused = await service.ask(rpc(1, "spawn_worker", { task_packet }));
    expect(refused.error).toMatchObject({ code: -32000, message: expect.stringMatching(/the task packet is invalid: .*scope_path "out".*outside the workspace/) });
    await service.end();
  });

  it("records trust only from a human's name: mark_trusted without approval_source, or with system or the service's name, is refused", async () => {
    const service = startService(["worker"], { cwd: dir.path, env });
    const { worker_id } = (await service.ask(rpc(1, "spawn_worker", { task_packet: packet }))).result;
    for (const [id, approval_source] of [[2, undefined], [3, "system"], [4, "peh-serve"], [5, " "]] as const) {
      const refused = await service.ask(rpc(id, "mark_trusted", { worker_id, ...(approval_source === undefined ? {} : { approval_source }) }));
      expect(refused.error, String(approval_source)).toMatchObject({ code: -32602, message: expect.stringMatching(/^invalid params: approval_source: a human's name is needed/) });
    }
    expect((await service.ask(rpc(6, "get_worker", { worker_id }))).result).toMatchObject({ state: "trust_required", trust: null });
    expect((await service.ask(rpc(7, "mark_trusted", { worker_id, approval_source: "ana" }))).result).toEqual({ success: true });
    await service.end();
    const named = startService(["worker", "--as", "svc-bot"], { cwd: dir.path, env });
    const second = (await named.ask(rpc(1, "spawn_worker", { task_packet: packet }))).result.worker_id;
    expect((await named.ask(rpc(2, "mark_trusted", { worker_id: second, approval_source: "svc-bot" }))).error).toMatchObject({ code: -32602, message: expect.stringContaining('"svc-bot"') });
    await named.end();
  });

  it("continues the service run of the workspace in the next service process: earlier workers are known, no id is reused", async () => {
    const first = startService(["worker", "--as", "ana"], { cwd: dir.path, env });
    const earlier = (await first.ask(rpc(1, "spawn_worker", { task_packet: packet }))).result.worker_id;
    const run_id = (await first.ask(rpc(2, "get_worker", { worker_id: earlier }))).result.run_id;
    await first.end();
    const next = startService(["worker", "--as", "ana"], { cwd: dir.path, env });
    expect((await next.ask(rpc(1, "get_worker", { worker_id: earlier }))).result).toMatchObject({ worker_id: earlier, run_id, state: "trust_required" });
    expect((await next.ask(rpc(2, "mark_trusted", { worker_id: earlier, approval_source: "bo" }))).result).toEqual({ success: true });
    expect((await next.ask(rpc(3, "spawn_worker", { task_packet: packet }))).result).toEqual({ worker_id: "build-app-2#1" });
    await next.end();
    // One service run, shown as a service with its workers, not as a run executing forever.
    const runs = JSON.parse(peh(["runs", "--json"], { cwd: dir.path, env }).stdout) as { run_id: string; state: string; workers?: number }[];
    expect(runs).toEqual([expect.objectContaining({ run_id, state: "serving", workers: 2 })]);
    expect(peh(["runs"], { cwd: dir.path, env }).stdout).toMatch(new RegExp(`^${run_id}  serving +2 workers  `));
    expect(peh(["status", run_id], { cwd: dir.path, env }).stdout).toContain(`Run ${run_id} · serving · 2 workers (peh serve worker; peh run never runs them)`);
    expect(JSON.parse(peh(["status", run_id, "--json"], { cwd: dir.path, env }).stdout)).toMatchObject({ service: { workers: 2 } });
    expect(peh(["show", run_id], { cwd: dir.path, env }).stdout).toContain("· serving (peh serve worker: 2 workers; peh run never runs them)");
  });

  it("starts a worker in the workspace root whatever its scope, or in its cwd, as peh run does", async () => {
    const service = startService(["worker", "--as", "ana"], { cwd: dir.path, env });
    const single = { objective: "Format src/app.js", scope: "single_file", scope_path: "src/app.js", acceptance_tests: ["true"] };
    const { worker_id } = (await service.ask(rpc(1, "spawn_worker", { task_packet: single }))).result;
    expect((await service.ask(rpc(2, "get_worker", { worker_id }))).result).toMatchObject({ worker_id, cwd: dir.path });
    const placed = { objective: "Format web/app.js", scope: "module", scope_path: "web", cwd: "web", acceptance_tests: ["true"] };
    const inWeb = (await service.ask(rpc(3, "spawn_worker", { task_packet: placed }))).result.worker_id;
    expect((await service.ask(rpc(4, "get_worker", { worker_id: inWeb }))).result).toMatchObject({ worker_id: inWeb, cwd: join(dir.path, "web") });
    const out = await service.ask(rpc(5, "spawn_worker", { task_packet: { ...placed, objective: "Format ../x.js", cwd: "../x" } }));
    expect(out.error.message).toContain('cwd "../x" leaves the workspace');
    await service.end();
  });

  it("trusts a worker inside a trusted root at check_trust, and refuses a packet that escapes the workspace", async () => {
    const service = startService(["worker", "--trust-root", "."], { cwd: dir.path, env });
    const { result } = await service.ask(rpc(1, "spawn_worker", { task_packet: packet }));
    expect((await service.ask(rpc(2, "check_trust", { worker_id: result.worker_id }))).result).toEqual({ requires_approval: false });
    const escape = await service.ask(rpc(3, "spawn_worker", { task_packet: { ...packet, scope: "module", scope_path: "../elsewhere" } }));
    expect(escape.error.message).toContain("leaves the workspace");
    const risky = await service.ask(rpc(4, "spawn_worker", { task_packet: { ...packet, id: "wipe", risky: true, confirm: "wipe it" } }));
    expect(risky.error.message).toContain('"wipe it"');
    expect((await service.ask(rpc(5, "spawn_worker", { task_packet: { ...packet, id: "wipe", risky: true, confirm: "wipe it" }, confirm: "wipe it" }))).result).toEqual({ worker_id: "wipe#1" });
    await service.end();
  });
});

describe("the protocol", () => {
  it("answers each error code, and a bad line never stops the service", async () => {
    const service = startService(["bootstrap"], { cwd: dir.path, env });
    expect(await service.ask("{not json")).toMatchObject({ id: null, error: expect.stringContaining("parse error") });
    expect(await service.ask('{"jsonrpc":"2.0","id":1,"method":"execute_phase"')).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
    expect(await service.ask({ jsonrpc: "2.0", id: 2 })).toMatchObject({ id: 2, error: { code: -32600 } });
    expect(await service.ask({ jsonrpc: "1.0", id: 3, method: "execute_phase" })).toMatchObject({ id: 3, error: { code: -32600 } });
    expect(await service.ask("[]")).toMatchObject({ id: null, error: { code: -32600 } });
    expect(await service.ask("42")).toMatchObject({ id: null, error: { code: -32600 } });
    expect(await service.ask(rpc(4, "launch_rockets"))).toMatchObject({ id: 4, error: { code: -32601, message: expect.stringContaining("execute_phase") } });
    expect(await service.ask(rpc(5, "execute_phase", { phase: "warp" }))).toMatchObject({ id: 5, error: { code: -32602 } });
    expect(await service.ask({ id: "p", method: "launch_rockets" })).toEqual({ id: "p", error: expect.stringContaining("unknown method") });
    // The same service still answers a good request.
    expect(await service.ask(rpc(6, "execute_phase", { phase: "cli_entry" }))).toMatchObject({ id: 6, result: { success: true } });
    await service.end();
  });

  it("notifications (2.0, no id) get no response; a plain request without an id gets an error; batches answer in one line", async () => {
    const service = startService(["bootstrap"], { cwd: dir.path, env });
    service.write(`${JSON.stringify({ jsonrpc: "2.0", method: "execute_phase", params: { phase: "cli_entry" } })}\n`);
    // The next line read answers the next request: the notification wrote nothing.
    expect(await service.ask(rpc(7, "execute_phase", { phase: "cli_entry" }))).toMatchObject({ id: 7 });
    expect(await service.ask({ method: "execute_phase", params: { phase: "cli_entry" } })).toEqual({ id: null, error: expect.stringContaining('needs an "id"') });
    const batch = await service.ask([rpc(8, "execute_phase", { phase: "mcp_fastpath" }), { jsonrpc: "2.0", method: "execute_phase", params: { phase: "cli_entry" } }, rpc(9, "nope")]);
    expect(batch).toEqual([expect.objectContaining({ id: 8, result: expect.any(Object) }), expect.objectContaining({ id: 9, error: expect.objectContaining({ code: -32601 }) })]);
    await service.end();
  });

  it("refuses a huge line and goes on", async () => {
    const service = startService(["planning"], { cwd: dir.path, env });
    const huge = JSON.stringify(rpc(1, "decompose", { objective: "x".repeat(9 * 1024 * 1024) }));
    expect(await service.ask(huge)).toMatchObject({ id: null, error: { code: -32600, message: expect.stringContaining("at most") } });
    expect(await service.ask(rpc(2, "decompose", { objective: "add dark mode to the settings page" }))).toMatchObject({ id: 2, result: expect.any(Array) });
    await service.end();
  });

  it("answers a last line cut by the end of input, then exits", async () => {
    const service = startService(["bootstrap"], { cwd: dir.path, env });
    service.write(JSON.stringify(rpc(1, "execute_phase", { phase: "cli_entry" })));
    service.write("\n");
    service.write('{"jsonrpc":"2.0","id":2,"method":"execu');
    expect(await service.next()).toMatchObject({ id: 1, result: { success: true } });
    const { code, rest } = await service.end();
    expect(code).toBe(0);
    expect(rest.map((line) => JSON.parse(line))).toEqual([expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32700 }) })]);
  });
});
