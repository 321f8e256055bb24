// The generic adapter: today's behaviour. The prompt goes to the agent command's stdin, its
// output is kept as it is, and it is judged by its exit code and the acceptance tests.
import type { AgentAdapter } from "./types.js";

export const generic: AgentAdapter = {
  cli: "generic",
  program: "",
  enforces: { turns: false, usd: false },
  reportsCost: false,
  args: () => [],
  parse: () => [],
};
