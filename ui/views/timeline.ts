// The timeline: one row per task in plan order, one bar per attempt (a retry is a bar of its
// own), coloured by how it ended, on the run's own time scale up to the seq shown.
import { duration, h, s } from "../dom.js";
import type { Snapshot } from "../model.js";

const ROW = 16;
const LABEL = 150;

export function renderTimeline(container: HTMLElement, snapshot: Snapshot, onSelect: (task: string) => void): void {
  const plan = snapshot.plan;
  const all = [...snapshot.attempts.values()].flat();
  if (!plan || all.length === 0) {
    container.replaceChildren(h("p", { class: "muted" }, "No attempt has started yet at this point."));
    return;
  }
  const start = Math.min(...all.map((a) => Date.parse(a.started_at)));
  const end = Math.max(start + 1, Date.parse(snapshot.event?.at ?? snapshot.state.at ?? all[0]!.started_at), ...all.map((a) => Date.parse(a.ended_at ?? a.started_at)));
  // From the window, not the container: reading a laid-out size would force a layout of the whole page.
  const width = Math.max(400, window.innerWidth - 80);
  const span = width - LABEL - 10;
  const x = (iso: string) => LABEL + ((Date.parse(iso) - start) / (end - start)) * span;
  const rows = plan.tasks;
  const svg = s("svg", { class: "timeline", width, height: rows.length * ROW + 20 });
  rows.forEach((task, index) => {
    const y = index * ROW + 4;
    svg.append(s("text", { x: 4, y: y + ROW - 5, class: "tl-label" }, task.id.length > 20 ? `${task.id.slice(0, 19)}…` : task.id));
    for (const attempt of snapshot.attempts.get(task.id) ?? []) {
      const x1 = x(attempt.started_at);
      const x2 = attempt.ended_at ? x(attempt.ended_at) : LABEL + span;
      const bar = s(
        "rect",
        { x: x1, y: y + 2, width: Math.max(3, x2 - x1), height: ROW - 4, rx: 2, class: `bar out-${attempt.outcome}`, "data-task": task.id, "data-attempt": attempt.attempt },
        s("title", {}, `${task.id} attempt ${attempt.attempt}: ${attempt.outcome}${attempt.class ? ` (${attempt.class})` : ""}, ${duration(attempt.duration_ms)}`),
      );
      bar.addEventListener("click", () => onSelect(task.id));
      svg.append(bar);
    }
  });
  svg.append(s("text", { x: LABEL, y: rows.length * ROW + 16, class: "tl-axis" }, "0"), s("text", { x: LABEL + span - 60, y: rows.length * ROW + 16, class: "tl-axis" }, duration(end - start)));
  container.replaceChildren(svg);
}
