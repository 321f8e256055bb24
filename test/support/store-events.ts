// Valid events for store tests: the store checks envelope and order, not the machines' rules.
import { PehEventSchema, type PehEvent, type RunId } from "../../events/index.js";

export function storeEvents(runId: RunId, from: number, count: number): PehEvent[] {
  return Array.from({ length: count }, (_, index) => {
    const seq = from + index;
    return PehEventSchema.parse({
      id: `${runId}.${seq}`,
      run_id: runId,
      seq,
      at: new Date(Date.UTC(2026, 0, 15, 14, 0, 0, seq)).toISOString(),
      actor: "system",
      entity: `task:t${seq % 7}`,
      type: "TASK_READY",
      data: { task_id: `t${seq % 7}` },
    });
  });
}
