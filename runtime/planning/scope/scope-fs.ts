// Node's file system as scope resolution needs it (scope-escape.ts): a symlink's target, and what
// a path is. Errors (nothing there, no permission) read as "nothing known", never as a throw.
import { readlinkSync, statSync } from "node:fs";
import type { ScopeFs } from "./scope-escape.js";

export const nodeScopeFs: ScopeFs = {
  readlink(path) {
    try {
      return readlinkSync(path);
    } catch {
      return undefined; // EINVAL: no symlink; ENOENT: nothing there
    }
  },
  kind(path) {
    try {
      const stat = statSync(path, { throwIfNoEntry: false });
      return stat === undefined ? undefined : stat.isDirectory() ? "directory" : "file";
    } catch {
      return undefined;
    }
  },
};

