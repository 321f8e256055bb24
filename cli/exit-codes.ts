// The one table from error codes to exit codes (DESIGN §7): 0 done, 1 the run failed or was
// aborted, 2 bad input or usage, 3 waiting for a human, 4 conflict with another writer, 5 the store
// is damaged, unreachable or of a newer peh (a log that cannot be read is not a run that failed).
import type { ErrorCode } from "../events/index.js";

export const EXIT = { done: 0, failed: 1, usage: 2, waiting: 3, conflict: 4, damaged: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Record<ErrorCode, ExitCode> = {
  PLAN_INVALID: EXIT.usage,
  PLAN_NOT_FOUND: EXIT.usage,
  PLANNER_FAILED: EXIT.usage,
  RUN_NOT_FOUND: EXIT.usage,
  NO_RUNS: EXIT.usage,
  USAGE: EXIT.usage,
  ILLEGAL_TRANSITION: EXIT.usage,
  CONFIRMATION_MISSING: EXIT.usage,
  EVENT_INVALID: EXIT.usage,
  NOT_IMPLEMENTED: EXIT.usage,
  INSPECTOR_UNREACHABLE: EXIT.failed,
  SANDBOX_UNAVAILABLE: EXIT.usage,
  WAITING_FOR_HUMAN: EXIT.waiting,
  RUN_FAILED: EXIT.failed,
  STORE_CORRUPT: EXIT.damaged,
  STORE_UNAVAILABLE: EXIT.damaged,
  STORE_INCOMPATIBLE: EXIT.damaged,
  APPEND_CONFLICT: EXIT.conflict,
  LOCK_TIMEOUT: EXIT.conflict,
  GIT_FAILED: EXIT.failed,
};

export function exitCodeFor(code: ErrorCode): ExitCode {
  return BY_CODE[code];
}
