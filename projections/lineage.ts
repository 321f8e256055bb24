// Pure. A run's lineage (issue 22) in words, for the views.
import type { Lineage } from "../events/index.js";
import { plural } from "./text/words.js";

/** A run's lineage in words: "rerun of r-… from deploy, reusing 2 tasks", "forked from r-… at #45". */
export function lineageText(lineage: Lineage): string {
  if (lineage.kind === "fork") return `forked from ${lineage.source_run} at event #${lineage.at_seq}`;
  const from = lineage.from_task ? ` from task ${lineage.from_task}` : " (what failed or never ran)";
  return `rerun of ${lineage.source_run}${from}, reusing ${plural(lineage.reused.length, "task")}${lineage.reused.length ? ` (${lineage.reused.map((r) => r.task_id).join(", ")})` : ""}`;
}
