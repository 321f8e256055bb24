// The timeline: one row per task in plan order, one bar per attempt (a retry is a bar of its
// own), coloured by how it ended, on the run's own time scale up to the seq shown. Virtualized
// like the log: only the rows in view are drawn, so a plan of 1,000 tasks draws about thirty.
import { duration, h, s } from "../dom.js";
import type { Snapshot } from "../model.js";

const ROW = 16;
const LABEL = 150;
/** .timeline-scroll's max-height in app.css. */
const VIEWPORT = 320;
/** Rows drawn beyond the viewport on each side, so a scroll step shows drawn rows at once. */
const OVERSCAN = 10;

export class TimelineView {
  private snapshot: Snapshot | undefined;
  private readonly empty = h("p", { class: "muted" }, "No attempt has started yet at this point.");
  private readonly axis = h("div", { class: "tl-axis" });
  private readonly viewport = h("div", { class: "timeline-scroll", id: "timeline" });
  private readonly spacer = h("div", { class: "tl-spacer" });
  private svg: SVGElement | undefined;
  /** Kept from scroll events: reading scrollTop while drawing would force a layout of the whole page. */
  private scrollTop = 0;
  private scale: { start: number; end: number; width: number } | undefined;

  constructor(
    private readonly container: HTMLElement,
    private readonly onSelect: (task: string) => void,
  ) {
    this.viewport.append(this.spacer);
    this.viewport.addEventListener("scroll", () => {
      this.scrollTop = this.viewport.scrollTop;
      this.paint();
    });
    container.replaceChildren(this.empty);
  }

  update(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    const plan = snapshot.plan;
    let start = Infinity;
    let end = -Infinity;
    for (const attempts of snapshot.attempts.values()) {
      for (const attempt of attempts) {
        const began = Date.parse(attempt.started_at);
        start = Math.min(start, began);
        end = Math.max(end, attempt.ended_at ? Date.parse(attempt.ended_at) : began);
      }
    }
    if (!plan || start === Infinity) {
      this.scale = undefined;
      if (this.container.firstChild !== this.empty) this.container.replaceChildren(this.empty);
      return;
    }
    end = Math.max(end, start + 1, Date.parse(snapshot.event?.at ?? snapshot.state.at ?? "") || 0);
    // From the window, not the container: reading a laid-out size would force a layout of the whole page.
    this.scale = { start, end, width: Math.max(400, window.innerWidth - 80) };
    this.spacer.style.height = `${plan.tasks.length * ROW + 8}px`;
    this.axis.replaceChildren(h("span", {}, "0"), h("span", {}, duration(end - start)));
    this.axis.style.width = `${this.scale.width}px`;
    if (this.container.firstChild !== this.axis) this.container.replaceChildren(this.axis, this.viewport);
    this.paint();
  }

  private paint(): void {
    const snapshot = this.snapshot;
    const scale = this.scale;
    if (!snapshot?.plan || !scale) return;
    const rows = snapshot.plan.tasks;
    const first = Math.max(0, Math.floor(this.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(rows.length, first + Math.ceil(VIEWPORT / ROW) + 2 * OVERSCAN);
    const span = scale.width - LABEL - 10;
    const x = (iso: string) => LABEL + ((Date.parse(iso) - scale.start) / (scale.end - scale.start)) * span;
    const svg = s("svg", { class: "timeline", width: scale.width, height: (last - first) * ROW + 8 });
    svg.style.transform = `translateY(${first * ROW}px)`;
    for (let index = first; index < last; index++) {
      const task = rows[index]!;
      const y = (index - first) * ROW + 4;
      svg.append(s("text", { x: 4, y: y + ROW - 5, class: "tl-label" }, task.id.length > 20 ? `${task.id.slice(0, 19)}…` : task.id));
      for (const attempt of snapshot.attempts.get(task.id) ?? []) {
        const x1 = x(attempt.started_at);
        const x2 = attempt.ended_at ? x(attempt.ended_at) : LABEL + span;
        const bar = s(
          "rect",
          { x: x1, y: y + 2, width: Math.max(3, x2 - x1), height: ROW - 4, rx: 2, class: `bar out-${attempt.outcome}`, "data-task": task.id, "data-attempt": attempt.attempt },
          s("title", {}, `${task.id} attempt ${attempt.attempt}: ${attempt.outcome}${attempt.class ? ` (${attempt.class})` : ""}, ${duration(attempt.duration_ms)}`),
        );
        bar.addEventListener("click", () => this.onSelect(task.id));
        svg.append(bar);
      }
    }
    if (this.svg) this.svg.replaceWith(svg);
    else this.spacer.append(svg);
    this.svg = svg;
  }
}
