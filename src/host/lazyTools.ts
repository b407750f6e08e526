import { join } from 'node:path';
import type { RouteRequest, Router } from '../core/router';
import type { LoopEvent, ToolHost } from '../core/tools/loop';
import type { BatchDeps, BatchWork } from './batch';
import type { Log } from './log';
import type { EditProposer } from './tools';

type Library = typeof import('./toolsLibrary');

/**
 * The tool loop, the editor tools and the batch work ship as dist/tools.js, loaded on first use (a
 * chat question, a batch command), so activation does not parse them.
 */
function loader(extensionPath: string, log: Log): () => Library | undefined {
  let lib: Library | null | undefined;
  return () => {
    if (lib === undefined) {
      try {
        // A computed path, so esbuild leaves this require to run time.
        lib = require(join(extensionPath, 'dist', 'tools.js')) as Library;
      } catch (err) {
        lib = null;
        log.error(`dist/tools.js could not be loaded (editor tools and batch work are off): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return lib ?? undefined;
  };
}

/** Runs a chat request through the tool loop, over the editor's tools. */
export type ToolLoop = (router: Router, request: RouteRequest, signal: AbortSignal) => AsyncGenerator<LoopEvent>;

export interface LazyTools {
  loop: ToolLoop;
  reviewChangedFiles(): Promise<void>;
  translateComments(): Promise<void>;
  dispose(): void;
}

export function lazyTools(extensionPath: string, log: Log, options: { maxSelectionChars: () => number; proposer: EditProposer; batch: BatchDeps }): LazyTools {
  const load = loader(extensionPath, log);
  let host: ToolHost | undefined;
  let batch: BatchWork | undefined;
  const batchWork = () => {
    const lib = load();
    if (!lib) {
      throw new Error('batch work could not be loaded; see the Switchboard log');
    }
    return (batch ??= new lib.BatchWork(options.batch));
  };
  return {
    async *loop(router, request, signal) {
      const lib = load();
      if (!lib) {
        // Without the bundle the question still goes, without tools.
        yield* router.run(request, signal);
        return;
      }
      host ??= new lib.EditorTools(log, options.maxSelectionChars, options.proposer);
      yield* lib.runToolLoop(router, request, host, signal);
    },
    reviewChangedFiles: () => batchWork().reviewChangedFiles(),
    translateComments: () => batchWork().translateComments(),
    dispose: () => batch?.dispose(),
  };
}
