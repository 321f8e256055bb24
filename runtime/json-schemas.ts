// The JSON Schemas of peh's public shapes, generated from the zod schemas (the single source):
// TaskPacket, the plan file, every event type, the worker event on the wire, the bootstrap phase
// result, and each service's request params and result. `npm run schemas` writes them to
// schemas/; a test fails when the checked-in files differ from what this generates.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { PehEventSchema, PlanFileSchema, TaskPacketSchema } from "../events/index.js";
import { InMemoryEventStore } from "../events/adapters.js";
import { bootstrapService, PhaseResultSchema } from "./rpc/bootstrap-service.js";
import { planningService } from "./rpc/planning-service.js";
import type { Service } from "./rpc/protocol.js";
import { WireWorkerEventSchema, workerService } from "./rpc/worker-service.js";

function schemaOf(_name: string, schema: z.ZodType, io: "input" | "output", title: string): object {
  return {
    title,
    ...z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }),
  };
}

/** File name (under schemas/) → JSON Schema. */
export function jsonSchemas(): Record<string, object> {
  const files: Record<string, object> = {
    "task-packet.schema.json": schemaOf("task-packet.schema.json", TaskPacketSchema, "input", "TaskPacket (the public contract's packet)"),
    "plan-file.schema.json": schemaOf("plan-file.schema.json", PlanFileSchema, "input", "A peh plan file (YAML or JSON), as a planner returns it"),
    "event.schema.json": schemaOf("event.schema.json", PehEventSchema, "output", "Any event of a run's log (one JSON line of events.jsonl)"),
    "worker-event.schema.json": schemaOf("worker-event.schema.json", WireWorkerEventSchema, "output", "A worker event on the wire (DESIGN §8)"),
    "bootstrap-phase-result.schema.json": schemaOf("bootstrap-phase-result.schema.json", PhaseResultSchema, "output", "The result of one bootstrap phase"),
  };
  for (const option of PehEventSchema.options) {
    const type = option.shape.type.value;
    const name = `events/${type}.schema.json`;
    files[name] = schemaOf(name, option, "output", `The ${type} event`);
  }
  const services: Record<string, Service> = {
    planning: planningService(),
    bootstrap: bootstrapService({ cwd: "/", storeDir: "/" }),
    worker: workerService({ store: new InMemoryEventStore(), cwd: "/", storeDir: "/", actor: "schema", trustRoots: [] }),
  };
  for (const [service, methods] of Object.entries(services)) {
    for (const [method, definition] of Object.entries(methods)) {
      const params = `rpc/${service}.${method}.params.schema.json`;
      const result = `rpc/${service}.${method}.result.schema.json`;
      files[params] = schemaOf(params, definition.params, "input", `${service} ${method}: params`);
      files[result] = schemaOf(result, definition.result, "output", `${service} ${method}: result`);
    }
  }
  return files;
}

/** schemas/ at the package's root, whether this runs compiled (dist/runtime) or from source. */
export const SCHEMAS_DIR = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, "schemas");
})();

export async function writeJsonSchemas(dir = SCHEMAS_DIR): Promise<string[]> {
  const files = jsonSchemas();
  for (const [name, schema] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), `${JSON.stringify(schema, null, 2)}\n`);
  }
  return Object.keys(files);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const written = await writeJsonSchemas();
  process.stdout.write(`wrote ${written.length} JSON Schemas to schemas/\n`);
}
