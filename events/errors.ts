// The one error class every layer throws. Lower layers throw or return; only cli/ maps a code to
// an exit code. A message quotes the bad value; a hint says how to fix it, ideally a command.
import { z } from "zod";

export const ErrorCodeSchema = z.enum([
  "PLAN_INVALID",
  "PLAN_NOT_FOUND",
  "PLANNER_FAILED",
  "RUN_NOT_FOUND",
  "NO_RUNS",
  "USAGE",
  "ILLEGAL_TRANSITION",
  "CONFIRMATION_MISSING",
  "APPEND_CONFLICT",
  "LOCK_TIMEOUT",
  "STORE_CORRUPT",
  "STORE_UNAVAILABLE",
  "STORE_INCOMPATIBLE",
  "EVENT_INVALID",
  "WAITING_FOR_HUMAN",
  "RUN_FAILED",
  "NOT_IMPLEMENTED",
  "INSPECTOR_UNREACHABLE",
  "SANDBOX_UNAVAILABLE",
  "GIT_FAILED",
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** A failure as data: what an event carries where an `Error` would serialize to `{}`. */
export const ErrorInfoSchema = z.object({ code: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

export class PehError extends Error {
  override readonly name = "PehError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: unknown } {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details };
  }
}

export function isPehError(error: unknown, code?: ErrorCode): error is PehError {
  return error instanceof PehError && (code === undefined || error.code === code);
}

/** Turns anything thrown into `{code, message}` for an event. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof PehError) return { code: error.code, message: error.message };
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { code: typeof code === "string" ? code : error.name, message: error.message };
  }
  return { code: "UNKNOWN", message: String(error) };
}
