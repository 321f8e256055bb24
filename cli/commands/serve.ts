// `peh serve planning|bootstrap|worker`: a JSON-RPC service on stdin/stdout (DESIGN §8) until the
// end of input. Only protocol lines go to stdout; nothing else is printed there.
import { Argument, type Command } from "commander";
import type { Service } from "../../runtime/rpc/protocol.js";
import { PLANNER_TIMEOUT, plannerTimeoutMs, storeOf, storePath } from "../context.js";
import type { Io } from "../output.js";

export const SERVICES = ["planning", "bootstrap", "worker"] as const;

interface ServeOptions {
  planner?: string;
  plannerTimeout: string;
  as?: string;
  trustRoot: string[];
}

export function serveCommand(program: Command, _io: Io): void {
  program
    .command("serve")
    .summary("JSON-RPC services on stdin/stdout: planning, bootstrap, worker")
    .description(
      "Serve one service over newline-delimited JSON on stdin/stdout until the end of input: one request per " +
        "line, one response line each, in the public contract's plain form ({id, method, params} → {id, result} or " +
        '{id, error: "…"}) or JSON-RPC 2.0 (with "jsonrpc": "2.0": error objects with codes -32700, -32600, ' +
        "-32601, -32602, -32000 for a refusal; batches; notifications). A bad line gets an error and the next is read.\n\n" +
        "  planning:  decompose {objective, context?} → TaskPackets; refine {packets, feedback} → TaskPackets\n" +
        "  bootstrap: execute_phase {phase, context?} → {phase, success, diagnostics, artifacts}\n" +
        "  worker:    spawn_worker {task_packet, confirm?} → {worker_id}; check_trust {worker_id} → {requires_approval};\n" +
        "             mark_trusted {worker_id, approval_source} → {success}; get_worker {worker_id} → state and events\n\n" +
        "The worker service records its workers in a run of its own, one per workspace, continued by the next " +
        "service process on the same store. peh run never runs its workers' commands, and it is no other command's " +
        "default run (peh runs lists it as serving). A risky packet needs its phrase in confirm; mark_trusted needs " +
        "a human's name in approval_source.",
    )
    .addArgument(new Argument("<service>", "which service").choices(SERVICES))
    .option("--planner <planner>", 'planning: "builtin" (default) or "cmd:<command>"')
    .option(PLANNER_TIMEOUT.flags, `planning: ${PLANNER_TIMEOUT.description}`, PLANNER_TIMEOUT.default)
    .option("--as <name>", "worker: the name the service records its own steps with (default: $PEH_ACTOR or peh-serve); never a trust")
    .option("--json", "a refusal before the service starts is printed as {\"error\": …} (its answers are JSON lines anyway)")
    .option("--trust-root <dir>", "worker: trust workers inside this directory (repeat; also $PEH_TRUST_ROOTS and the config)", (value: string, previous: string[]) => [...previous, value], [])
    .addHelpText(
      "after",
      `\nExamples:\n  echo '{"id":"1","method":"decompose","params":{"objective":"add dark mode"}}' | npx peh serve planning\n  echo '{"jsonrpc":"2.0","id":1,"method":"execute_phase","params":{"phase":"cli_entry"}}' | npx peh serve bootstrap`,
    )
    .action(async (name: (typeof SERVICES)[number], options: ServeOptions, command: Command) => {
      // Loaded here: only a service needs the service modules.
      const [{ bootstrapService }, { planningService }, { serve }, { workerService }] = await Promise.all([
        import("../../runtime/rpc/bootstrap-service.js"),
        import("../../runtime/rpc/planning-service.js"),
        import("../../runtime/rpc/server.js"),
        import("../../runtime/rpc/worker-service.js"),
      ]);
      const cwd = process.cwd();
      const dir = storePath(command);
      let service: Service;
      if (name === "planning") service = planningService({ planner: options.planner, cwd, timeoutMs: plannerTimeoutMs(options.plannerTimeout) });
      else if (name === "bootstrap") service = bootstrapService({ cwd, storeDir: dir });
      else {
        const actor = options.as ?? (process.env.PEH_ACTOR || "peh-serve");
        service = workerService({ store: storeOf(command, { create: true }), cwd, storeDir: dir, actor, trustRoots: options.trustRoot });
      }
      await serve(service, process.stdin, process.stdout);
    });
}
