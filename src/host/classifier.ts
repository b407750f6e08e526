import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskClassifier, type ClassifierData, type TaskGuess } from '../core/routing/classify';
import type { Log } from './log';

/**
 * The chat's task classifier. Its weights (dist/classifier.json, about 200 KB) are read on the first
 * Auto-routed message, not at activation. If they cannot be read, messages go to general_qa and the
 * log says why once.
 */
export function lazyClassifier(extensionPath: string, log: Log): (text: string) => TaskGuess {
  let classifier: TaskClassifier | undefined;
  let failed = false;
  return (text) => {
    if (!classifier && !failed) {
      const started = performance.now();
      try {
        const file = join(extensionPath, 'dist', 'classifier.json');
        classifier = new TaskClassifier(JSON.parse(readFileSync(file, 'utf8')) as ClassifierData);
        log.info(`task classifier loaded in ${(performance.now() - started).toFixed(1)} ms`);
      } catch (err) {
        failed = true;
        log.error(`task classifier could not be loaded; Auto routing uses general_qa: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (classifier) return classifier.classify(text);
    return { task: 'general_qa', best: 'general_qa', confidence: 0, unsure: true, reason: 'classifier unavailable' };
  };
}
