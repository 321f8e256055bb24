// Why a path cannot serve as a directory, in words for a message: the store's place, a trusted
// root and a task's working directory each need one.
import { statSync } from "node:fs";

/**
 * Undefined if `path` is a directory (or does not exist, with `missingIsFine`); else why not:
 * "does not exist", "is not a directory", "is below a file, not a directory", or that it cannot be opened.
 */
export function whyNotADirectory(path: string, { missingIsFine = false } = {}): string | undefined {
  try {
    return statSync(path).isDirectory() ? undefined : "is not a directory";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return missingIsFine ? undefined : "does not exist";
    return code === "ENOTDIR" ? "is below a file, not a directory" : `cannot be opened (${code})`;
  }
}
