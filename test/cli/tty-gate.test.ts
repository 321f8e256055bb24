// The interactive gate on a real pseudo-terminal (util-linux `script`): peh shows the plan and
// asks for a name and each risky phrase. Answers are typed when the prompt appears, not on a timer.
import { spawn } from "node:child_process";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { peh } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

const bin = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const release = fileURLToPath(new URL("../../examples/release.yaml", import.meta.url));

/** Runs `peh args` on a pty; answers each prompt (matched in the output) once, in order. */
function onTerminal(cwd: string, args: string[], answers: [RegExp, string][]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // `script` gives the pty no size; prompts need one to render their text on one line.
    const command = `stty cols 120 rows 50; ${[process.execPath, bin, ...args].map((part) => `'${part}'`).join(" ")}`;
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd,
      env: { ...process.env, TERM: "xterm", PEH_TRUST_ROOTS: "", XDG_CONFIG_HOME: join(cwd, ".config") },
    });
    let output = "";
    let next = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const answer = answers[next];
      if (answer && answer[0].test(output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ""))) {
        next++;
        child.stdin.write(`${answer[1]}\r`);
      }
    });
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("interactive gate", () => {
  it("approves a risky plan with the name and the typed phrase", async () => {
    const dir = await tempDir();
    try {
      await copyFile(release, join(dir.path, "release.yaml"));
      const result = await onTerminal(dir.path, ["run", "--from", "release.yaml", "--trust-root", "."], [
        [/Type your name to approve/, "ana"],
        [/Type "deploy 2\.4\.1 to production" to approve it/, "deploy 2.4.1 to production"],
      ]);
      expect(result.output).toContain("⚠ RISKY");
      expect(result.code).toBe(0);
      const show = JSON.parse(peh(["show", "--json"], { cwd: dir.path }).stdout) as { state: string; approved_version: number; history: { action: string; actor: string }[] };
      expect(show).toMatchObject({ state: "completed", approved_version: 1 });
      expect(show.history.find((h) => h.action === "approved")?.actor).toBe("ana");
    } finally {
      await dir.remove();
    }
  });

  it("refuses a wrong phrase typed at the prompt and approves nothing", async () => {
    const dir = await tempDir();
    try {
      await copyFile(release, join(dir.path, "release.yaml"));
      const result = await onTerminal(dir.path, ["run", "--from", "release.yaml"], [
        [/Type your name to approve/, "ana"],
        [/to approve it/, "yes"],
      ]);
      expect(result.code).toBe(2);
      expect(result.output).toContain("missing: deploy-prod");
      expect(JSON.parse(peh(["show", "--json"], { cwd: dir.path }).stdout)).toMatchObject({ state: "awaiting_approval", approved_version: null });
    } finally {
      await dir.remove();
    }
  });
});
