// schemas/ is generated from the zod schemas: the checked-in files must be exactly what they
// generate now (run `npm run schemas` after changing a schema, and commit the result).
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PehEventSchema } from "../events/index.js";
import { SCHEMAS_DIR, jsonSchemas } from "../runtime/json-schemas.js";

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(SCHEMAS_DIR, join(e.parentPath, e.name))).sort();
}

describe("schemas/", () => {
  const generated = jsonSchemas();

  it("holds exactly the generated files, none stale", async () => {
    expect(await filesUnder(SCHEMAS_DIR)).toEqual(Object.keys(generated).sort());
  });

  it.each(Object.keys(generated))("%s matches what the zod schemas generate (npm run schemas)", async (name) => {
    expect(await readFile(join(SCHEMAS_DIR, name), "utf8")).toBe(`${JSON.stringify(generated[name], null, 2)}\n`);
  });

  it("covers TaskPacket, the plan file, every event type, the worker event, the phase result and every method", () => {
    const names = Object.keys(generated);
    for (const option of PehEventSchema.options) expect(names).toContain(`events/${option.shape.type.value}.schema.json`);
    for (const name of ["task-packet", "plan-file", "worker-event", "bootstrap-phase-result"]) expect(names).toContain(`${name}.schema.json`);
    for (const method of ["planning.decompose", "planning.refine", "bootstrap.execute_phase", "worker.spawn_worker", "worker.check_trust", "worker.mark_trusted", "worker.get_worker"]) {
      expect(names).toContain(`rpc/${method}.params.schema.json`);
      expect(names).toContain(`rpc/${method}.result.schema.json`);
    }
  });
});
