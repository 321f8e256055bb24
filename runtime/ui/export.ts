// `peh export RUN --html`: the page of `peh ui` as one self-contained, read-only file: the app, its
// styles and the run's events (and its attempts' output, from either store) inlined, with
// a CSP that lets it fetch nothing. It opens offline, from a file: URL, anywhere.
import type { EventStore, RunId } from "../../events/index.js";
import { attemptsOf } from "../../projections/attempts.js";
import { attemptOutput } from "../attempt-output.js";
import { readAssets, type Assets } from "./assets.js";

/** The output kept of one attempt in an export: its tail, so a chatty task cannot make the file huge. */
const OUTPUT_TAIL = 64 * 1024;

export interface ExportOptions {
  /** An attempt's output; by default what `peh output` reads, from either store (runtime/store/output.ts). */
  outputOf?: (runId: RunId, task: string, attempt: number) => Promise<{ output: string }>;
  assets?: Assets;
  /** When the export was made (ISO); the runtime's clock by default. */
  at?: string;
}

export async function exportHtml(store: EventStore, runId: RunId, options: ExportOptions = {}): Promise<string> {
  const assets = options.assets ?? (await readAssets());
  const events = await store.read(runId);
  const outputs: Record<string, string> = {};
  const outputOf = options.outputOf ?? ((run: RunId, task: string, attempt: number) => attemptOutput(store, run, task, attempt));
  for (const [task, attempts] of attemptsOf(events)) {
    for (const { attempt } of attempts) {
      const text = await outputOf(runId, task, attempt).then((answer) => answer.output, () => undefined);
      if (text !== undefined) outputs[`${task}#${attempt}`] = text.length > OUTPUT_TAIL ? `…(the first ${text.length - OUTPUT_TAIL} characters are left out)\n${text.slice(-OUTPUT_TAIL)}` : text;
    }
  }
  const data = { run_id: runId, exported_at: options.at ?? new Date().toISOString(), events, outputs };
  // Inside <script>, "</script" or "<!--" in the data or the code would end the element early.
  const json = JSON.stringify(data).replaceAll("<", "\\u003c");
  const js = assets.js.replaceAll("</script", "<\\/script").replaceAll("<!--", "<\\!--");
  const css = assets.css.replaceAll("</style", "<\\/style");
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    // An export fetches nothing: no network, not even its own directory.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>peh · ${runId}</title>`,
    `<style>${css}</style>`,
    "</head>",
    "<body>",
    '<div id="app">loading…</div>',
    `<script type="application/json" id="peh-export">${json}</script>`,
    `<script>${js}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
