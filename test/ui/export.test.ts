// peh export --html: one file, the app and the run's events inlined, fetching nothing, and no
// event text can end its script element early.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { createRun } from "../../runtime/gate/gate.js";
import { exportHtml } from "../../runtime/ui/export.js";
import { tempDir } from "../support/temp-dir.js";

const HOSTILE = "</script><script>alert(1)</script><!--";
let dir: { path: string; remove(): Promise<void> };
let store: LowdbEventStore;

beforeEach(async () => {
  dir = await tempDir();
  store = new LowdbEventStore(join(dir.path, ".peh"));
  await writeFile(join(dir.path, "plan.yaml"), `objective: "ship ${HOSTILE}"\ntasks:\n  - { id: a, objective: "a ${HOSTILE}", scope: workspace, run: "true" }\n`);
});
afterEach(async () => {
  await store.close();
  await dir.remove();
});

describe("exportHtml", () => {
  it("inlines the app, its styles and the events, with a CSP that lets the file fetch nothing", async () => {
    const { run_id } = await createRun(store, { workspace: dir.path, from: "plan.yaml" });
    const html = await exportHtml(store, run_id, { assets: { html: "", js: "console.log('</script>')", css: "body{}" }, at: "2026-12-02T00:00:00.000Z" });
    expect(html).toContain(`content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"`);
    // Exactly the two script elements the export writes: the data and the app.
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).not.toContain("<!--");
    const json = /<script type="application\/json" id="peh-export">(.*)<\/script>/.exec(html)![1]!;
    const data = JSON.parse(json) as { run_id: string; exported_at: string; events: { seq: number }[] };
    expect(data.run_id).toBe(run_id);
    expect(data.events.map((event) => event.seq)).toEqual((await store.read(run_id)).map((event) => event.seq));
    expect(JSON.stringify(data.events)).toContain(HOSTILE);
  });
});
