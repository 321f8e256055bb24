// Shared by the adapters: turn "read from seq N" plus "something changed" into an async iterable.
import type { PehEvent } from "./envelope.js";

export interface FollowSource {
  from: number;
  signal?: AbortSignal;
  read(from: number): Promise<PehEvent[]>;
  /** Calls `notify` whenever the log may have grown; returns the unsubscribe. */
  onChange(notify: () => void): () => void;
}

export async function* followLog(source: FollowSource): AsyncGenerator<PehEvent> {
  let next = source.from;
  let wake: (() => void) | undefined;
  let dirty = true;
  const notify = () => {
    dirty = true;
    wake?.();
  };
  const unsubscribe = source.onChange(notify);
  source.signal?.addEventListener("abort", notify, { once: true });
  try {
    while (!source.signal?.aborted) {
      if (!dirty) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      dirty = false;
      for (const event of await source.read(next)) {
        if (source.signal?.aborted) return;
        next = event.seq + 1;
        yield event;
      }
    }
  } finally {
    unsubscribe();
    source.signal?.removeEventListener("abort", notify);
  }
}
