// A wait that ends early when `signal` aborts, and that its owner can cancel once it no longer
// waits (so no timer outlives it). The runtime's one clock-driven wait.
export interface Delay {
  done: Promise<void>;
  cancel(): void;
}

export function delay(ms: number, signal?: AbortSignal): Delay {
  let cancel = () => {};
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", finish);
      resolve();
    }
    cancel = finish;
    signal?.addEventListener("abort", finish, { once: true });
  });
  return { done, cancel };
}
