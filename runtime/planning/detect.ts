// What the built-in planner may know of the workspace: the project's test command, if any, and
// whether it is in a git repository.
import { existsSync, readFileSync } from "node:fs";
import { inGitRepository } from "../workspace/git/repo.js";
import { join } from "node:path";
import type { PlanningContext } from "./builtin-planner.js";

export function detectContext(workspace: string): PlanningContext {
  return { ...testCommandOf(workspace), ...(inGitRepository(workspace) ? { git: true } : {}) };
}

function testCommandOf(workspace: string): PlanningContext {
  const has = (file: string) => existsSync(join(workspace, file));
  try {
    if (has("package.json")) {
      const scripts = (JSON.parse(readFileSync(join(workspace, "package.json"), "utf8")) as { scripts?: Record<string, string> }).scripts;
      if (scripts?.test) return { test_command: "npm test" };
    }
    if (has("Makefile") && /^test:/m.test(readFileSync(join(workspace, "Makefile"), "utf8"))) return { test_command: "make test" };
  } catch {
    // an unreadable manifest tells us nothing
  }
  if (has("Cargo.toml")) return { test_command: "cargo test" };
  if (has("go.mod")) return { test_command: "go test ./..." };
  if (has("pyproject.toml") || has("pytest.ini") || has("setup.cfg")) return { test_command: "python3 -m pytest" };
  return {};
}
