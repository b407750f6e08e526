import { join } from 'node:path';
import type { RouteRequest, Router } from '../core/router';
import type { LoopEvent, ToolHost } from '../core/tools/loop';
import type { Log } from './log';
import type { EditProposer } from './tools';

/** Runs a chat request through the tool loop, over the editor's tools. */
export type ToolLoop = (router: Router, request: RouteRequest, signal: AbortSignal) => AsyncGenerator<LoopEvent>;

/**
 * The tool loop and the editor tools ship as dist/tools.js and are loaded on the first chat question,
 * so activation does not parse them. If the bundle cannot be loaded, the question goes without tools
 * and the log says why once.
 */
export function lazyToolLoop(extensionPath: string, log: Log, maxSelectionChars: () => number, proposer?: EditProposer): ToolLoop {
  let lib: typeof import('./toolsLibrary') | null | undefined;
  let host: ToolHost | undefined;
  return async function* (router, request, signal) {
    if (lib === undefined) {
      try {
        // A computed path, so esbuild leaves this require to run time.
        lib = require(join(extensionPath, 'dist', 'tools.js')) as typeof import('./toolsLibrary');
      } catch (err) {
        lib = null;
        log.error(`editor tools could not be loaded; questions go without them: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (!lib) {
      yield* router.run(request, signal);
      return;
    }
    host ??= new lib.EditorTools(log, maxSelectionChars, proposer);
    yield* lib.runToolLoop(router, request, host, signal);
  };
}
