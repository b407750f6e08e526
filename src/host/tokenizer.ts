import { join } from 'node:path';
import type { Log } from './log';

/**
 * Counts tokens with gpt-tokenizer (cl100k_base), loaded from dist/tokenizer.js on first use. It is
 * exact for OpenAI's older models and an estimate for every other model, which is how it is shown.
 * If it cannot be loaded, a length-based estimate stands in and the log says why once.
 */
export function lazyTokenCounter(extensionPath: string, log: Log): (text: string) => number {
  let count: ((text: string) => number) | undefined;
  return (text) => {
    if (!count) {
      try {
        const lib = require(join(extensionPath, 'dist', 'tokenizer.js')) as { countTokens: (t: string) => number };
        count = lib.countTokens;
      } catch (err) {
        log.error(`tokenizer could not be loaded; token estimates use text length: ${err instanceof Error ? err.message : String(err)}`);
        count = (t) => Math.ceil(t.length / 4);
      }
    }
    return count(text);
  };
}
