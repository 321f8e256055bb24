// Whether the sandbox tests can run here: bwrap must work (probed as peh probes it). Without it
// they skip, saying why; with PEH_REQUIRE_SANDBOX=1 (as .ci/run sets) they fail instead.
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
