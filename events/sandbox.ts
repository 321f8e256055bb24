// The sandbox vocabulary: how strictly a run wants its attempts sandboxed (the mode), and the
// profile one attempt ran under, which its WORKER_RUNNING event records. The profile, not the
// bwrap argument vector, is what the log keeps: it says what the task could touch.
import { z } from "zod";

/** `auto`: sandbox where bwrap works, else run unsandboxed and say so; `required`: refuse instead; `off`: never. */
export const SandboxModeSchema = z.enum(["auto", "required", "off"]);
export type SandboxMode = z.infer<typeof SandboxModeSchema>;

export const SANDBOX_MODES = SandboxModeSchema.options;

export const SandboxProfileSchema = z.object({
  /** The run's mode when the attempt started. */
  mode: SandboxModeSchema,
  /** Whether the attempt's processes ran under bwrap. */
  sandboxed: z.boolean(),
  /** Absolute paths the processes could write (besides their private /tmp); everything else was read-only. */
  writable: z.array(z.string().min(1)),
  /** Paths kept read-only even inside a writable one: the store, and `.git` unless the task's scope is the workspace. */
  read_only: z.array(z.string().min(1)).default([]),
  /** Granted paths that did not exist when the attempt started, so were not bound. */
  missing: z.array(z.string().min(1)).optional(),
  /** Whether the processes had the network (only with an approved `network: true`). */
  network: z.boolean(),
  /** Why the attempt was not sandboxed (mode off, the task's approved `sandbox: off`, or what the probe found). */
  reason: z.string().min(1).optional(),
});
export type SandboxProfile = z.infer<typeof SandboxProfileSchema>;
