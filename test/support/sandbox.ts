// Whether the sandbox tests can run here: bwrap must work (probed as peh probes it). Without it
// they skip, saying why; with PEH_REQUIRE_SANDBOX=1 (as .ci/run sets) they fail instead.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { probeSandbox } from "../../runtime/workspace/sandbox-probe.js";

export const probe = await probeSandbox();

/**
 * True when the calling file's sandbox tests must skip (bwrap missing or not working here);
 * throws when PEH_REQUIRE_SANDBOX=1 asks for them to run.
 *
 * @example describe.skipIf(skipWithoutSandbox())("the escape suite", () => { … })
 */
export function skipWithoutSandbox(): boolean {
  if (probe.works) return false;
  const why = `the sandbox tests need bubblewrap (bwrap) working: ${probe.problem}; install it with apt-get install bubblewrap`;
  if (process.env.PEH_REQUIRE_SANDBOX === "1") throw new Error(`PEH_REQUIRE_SANDBOX=1: ${why}`);
  console.warn(`skipped: ${why}`);
  return true;
}

/**
 * Turns the sandbox off in a test workspace's own user config, for tests that reach out of any
 * sandbox on purpose (a task that kills the peh running it, to test crashes).
 */
export async function sandboxOff(ws: { env: NodeJS.ProcessEnv }): Promise<void> {
  const dir = join(ws.env.XDG_CONFIG_HOME!, "peh");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "config.yaml"), "# a task of this test kills peh from inside: no sandbox may stop it\nsandbox: off\n");
}
