import { join } from 'node:path';
import type { CalcPrice } from '../core/usage/prices';
import type { Log } from './log';

/**
 * Loads the price library from dist/prices.js beside the extension bundle. Its data is built in: it
 * never fetches anything. If it cannot be loaded, nothing has a price and the log says why once.
 */
export function loadPriceLibrary(extensionPath: string, log: Log): CalcPrice {
  const started = performance.now();
  try {
    // A computed path, so esbuild leaves this require to run time.
    const file = join(extensionPath, 'dist', 'prices.js');
    const lib = require(file) as { calcPrice: CalcPrice };
    log.info(`price data loaded in ${(performance.now() - started).toFixed(1)} ms`);
    return lib.calcPrice;
  } catch (err) {
    log.error(`price data could not be loaded; costs are not shown: ${err instanceof Error ? err.message : String(err)}`);
    return () => null;
  }
}
