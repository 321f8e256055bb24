// The event log, as `peh log` reads it (logReader), virtualized: only the rows in view exist, so
// a log of 100k events scrolls like one of 100. Filters by type, task and failures only; each seq
// is a permalink that puts the whole page at that point.
import type { EventType, PehEvent } from "../../events/index.js";
import { logReader, type LogEntry } from "../../projections/log-view.js";
import { h } from "../dom.js";

const ROW = 22;
/** .log-viewport's height in app.css. */
const VIEWPORT = 360;
const FAILURES: ReadonlySet<EventType> = new Set([
  "TASK_FAILED",
  "FAILURE_CLASSIFIED",
  "RECOVERY_ESCALATION",
  "PERMISSION_REQUIRED",
  "RUN_BUDGET_SPENT",
  "TASK_INTERRUPTED",
  "WORKER_FAILED",
  "BOOTSTRAP_PHASE_FAILED",
  "RUN_CANCELLED",
  "GATE_REJECTED",
]);

export class LogView {
  private readonly entries: LogEntry[] = [];
  private readonly read = logReader();
  private shown: LogEntry[] = [];
  private current = 0;
  private readonly viewport = h("div", { class: "log-viewport", id: "log" });
  private readonly spacer = h("div", { class: "log-spacer" });
  private readonly rows = h("div", { class: "log-rows" });
  private readonly type = h("select", { id: "log-type", "aria-label": "event type" }, h("option", { value: "" }, "every type"));
  private readonly task = h("select", { id: "log-task", "aria-label": "task" }, h("option", { value: "" }, "every task"));
  private readonly failures = h("input", { type: "checkbox", id: "log-failures" });
  private readonly count = h("span", { class: "muted", id: "log-count" });
  private readonly types = new Set<string>();
  private readonly tasks = new Set<string>();
  /** Kept from scroll events: reading scrollTop while drawing would force a layout of the whole page. */
  private scrollTop = 0;

  constructor(
    container: HTMLElement,
    private readonly link: (seq: number) => string,
  ) {
    this.spacer.append(this.rows);
    this.viewport.append(this.spacer);
    container.replaceChildren(
      h("div", { class: "log-filters" }, this.type, this.task, h("label", {}, this.failures, " failures only"), this.count),
      this.viewport,
    );
    for (const control of [this.type, this.task, this.failures]) control.addEventListener("change", () => this.filter());
    this.viewport.addEventListener("scroll", () => {
      this.scrollTop = this.viewport.scrollTop;
      this.paint();
    });
  }

  add(events: readonly PehEvent[]): void {
    for (const event of events) {
      const entry = this.read(event);
      this.entries.push(entry);
      if (!this.types.has(entry.event)) {
        this.types.add(entry.event);
        this.type.append(h("option", { value: entry.event }, entry.event));
      }
      if (entry.task_id !== null && !this.tasks.has(entry.task_id)) {
        this.tasks.add(entry.task_id);
        this.task.append(h("option", { value: entry.task_id }, entry.task_id));
      }
    }
    this.filter(false);
  }

  /** Marks the event the page shows the state after, and scrolls it into view when asked. */
  mark(seq: number, reveal: boolean): void {
    this.current = seq;
    if (reveal) {
      const index = this.shown.findIndex((entry) => entry.seq >= seq);
      if (index >= 0) this.viewport.scrollTop = this.scrollTop = Math.max(0, index * ROW - VIEWPORT / 2);
    }
    this.paint();
  }

  private filter(paint = true): void {
    const type = this.type.value;
    const task = this.task.value;
    const failures = this.failures.checked;
    this.shown = this.entries.filter((entry) => (!type || entry.event === type) && (!task || entry.task_id === task) && (!failures || FAILURES.has(entry.event)));
    this.spacer.style.height = `${this.shown.length * ROW}px`;
    this.count.textContent = `${this.shown.length} of ${this.entries.length} events`;
    if (paint) this.paint();
  }

  private paint(): void {
    const first = Math.max(0, Math.floor(this.scrollTop / ROW) - 5);
    // The viewport's height is fixed by the stylesheet: reading clientHeight would force a layout of the whole page.
    const visible = Math.ceil(VIEWPORT / ROW) + 10;
    const slice = this.shown.slice(first, first + visible);
    this.rows.style.transform = `translateY(${first * ROW}px)`;
    this.rows.replaceChildren(
      ...slice.map((entry) =>
        h(
          "div",
          { class: `log-row${entry.seq === this.current ? " current" : ""}${entry.seq > this.current ? " later" : ""}${FAILURES.has(entry.event) ? " failure" : ""}`, "data-seq": entry.seq },
          h("a", { href: this.link(entry.seq), class: "seq", title: "the state right after this event" }, `#${entry.seq}`),
          h("span", { class: "time" }, entry.timestamp.slice(11, 19)),
          h("span", { class: "type" }, entry.event),
          h("span", { class: "task" }, entry.task_id ?? ""),
          h("span", { class: "summary" }, entry.summary, entry.actor !== "system" ? ` — ${entry.actor}` : ""),
        ),
      ),
    );
  }
}
