// The fields every event carries, and the helper that pairs a type name with its data schema.
import { z } from "zod";
import { EventIdSchema, RunIdSchema } from "./ids.js";

export const EntitySchema = z.union([
  z.literal("plan"),
  z.literal("bootstrap"),
  z.templateLiteral(["task:", z.string().min(1)]),
  z.templateLiteral(["worker:", z.string().min(1)]),
]);
export type Entity = z.infer<typeof EntitySchema>;

/** `system`, or the name of the human who decided. */
export const ActorSchema = z.string().min(1).max(200);
export type Actor = z.infer<typeof ActorSchema>;

/**
 * Where a human's action came from, when not the command line: `web` for `peh ui`. Absent for the
 * CLI and for peh's own steps, so every log written before it still reads the same.
 */
export const ViaSchema = z.enum(["web"]);
export type Via = z.infer<typeof ViaSchema>;

export const envelopeFields = {
  id: EventIdSchema,
  run_id: RunIdSchema,
  seq: z.number().int().positive(),
  at: z.iso.datetime(),
  actor: ActorSchema,
  via: ViaSchema.optional(),
  entity: EntitySchema,
  from: z.string().optional(),
  to: z.string().optional(),
};

/** One event type: the envelope, the literal `type` and its typed `data`. */
export function eventSchema<const T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.object({ ...envelopeFields, type: z.literal(type), data });
}
