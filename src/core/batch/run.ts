/** Batch work under a concurrency limit (cockatiel's bulkhead), with progress and one signal to stop it all. */
import { bulkhead } from 'cockatiel';

export type BatchResult<T, R> = { item: T; ok: true; value: R } | { item: T; ok: false; error: unknown; cancelled: boolean };

export interface BatchOptions {
  /** At most this many items run at once. */
  concurrency: number;
  /** Aborting it stops every running item and starts no more. */
  signal: AbortSignal;
  /** After each item settles: how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
}

export class BatchCancelled extends Error {
  constructor() {
    super('the batch was cancelled');
    this.name = 'BatchCancelled';
  }
}

/** Runs `work` for every item, never more than `concurrency` at once; results in the items' order. */
export async function runBatch<T, R>(items: readonly T[], work: (item: T, signal: AbortSignal) => Promise<R>, options: BatchOptions): Promise<BatchResult<T, R>[]> {
  const limit = bulkhead(Math.max(1, Math.floor(options.concurrency)), Number.POSITIVE_INFINITY);
  let done = 0;
  return Promise.all(
    items.map(async (item): Promise<BatchResult<T, R>> => {
      try {
        // The signal is checked here, not handed to the bulkhead: cockatiel 3 does not move its queue on
        // when a queued call is cancelled, so the calls behind it would wait forever.
        const value = await limit.execute(() => {
          if (options.signal.aborted) throw new BatchCancelled();
          return work(item, options.signal);
        });
        return { item, ok: true, value };
      } catch (error) {
        return { item, ok: false, error, cancelled: options.signal.aborted };
      } finally {
        options.onProgress?.(++done, items.length);
      }
    }),
  );
}
