// The runtime's clock-driven waits: a timer that holds any duration peh accepts, and a wait that
// ends early when `signal` aborts and that its owner can cancel once it no longer waits (so no
// timer outlives it). Every wait of a user-given length (a timeout, a retry's delay, a planner's
// limit) goes through `timer`.

/**
 * The longest delay Node's setTimeout holds (2^31 − 1 ms, ~24.8 days): a longer one fires at
 * once (with a TimeoutOverflowWarning), so a 1000h timeout would kill its process at once and a
 * far Retry-After would spin the orchestrator's loop.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fire` once `ms` have passed, chaining Node's timers for a longer wait; returns the
 * cancel. The due time is a point on the clock, so each link waits only what remains.
 */
export function timer(ms: number, fire: () => void): () => void {
  const due = Date.now() + ms;
  let handle: NodeJS.Timeout;
  const arm = () => {
    const left = due - Date.now();
    if (left > MAX_TIMER_MS) handle = setTimeout(arm, MAX_TIMER_MS);
    else handle = setTimeout(fire, Math.max(0, left));
  };
  arm();
  return () => clearTimeout(handle);
}

export interface Delay {
  done: Promise<void>;
  cancel(): void;
}

export function delay(ms: number, signal?: AbortSignal): Delay {
  let cancel = () => {};
  const done = new Promise<void>((resolve) => {
    const stop = timer(ms, finish);
    function finish() {
      stop();
      signal?.removeEventListener("abort", finish);
      resolve();
    }
    cancel = finish;
    signal?.addEventListener("abort", finish, { once: true });
  });
  return { done, cancel };
}
