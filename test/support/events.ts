// Builds real, schema-parsed events for machine specs: type and data, the envelope filled in.
import { PehEventSchema, type PehEvent, type PehEventInput } from "../../events/index.js";
import { entityOf } from "../../machines/fold/run.js";
import { AT, RUN } from "./fixtures.js";

type Data<T extends PehEvent["type"]> = Extract<PehEventInput, { type: T }>["data"];

export function ev<T extends PehEvent["type"]>(type: T, data: Data<T>, seq = 1): Extract<PehEvent, { type: T }> {
  const parsed = PehEventSchema.parse({ id: `${RUN}.${seq}`, run_id: RUN, seq, at: AT, actor: "system", entity: "plan", type, data });
  return { ...parsed, entity: entityOf(parsed) } as Extract<PehEvent, { type: T }>;
}
