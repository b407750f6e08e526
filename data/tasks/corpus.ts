/** The labelled chat prompts and their held-out split, read the way data/tasks/train.py reads them. */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClassifierData } from '../../src/core/routing/classify';
import { TASK_TYPES, type TaskType } from '../../src/core/tasks';

export const CORPUS_DIR = join(__dirname, 'prompts');
export const MODEL_FILE = join(__dirname, '..', '..', 'src', 'core', 'routing', 'classifier.json');
export const CHECK_FILE = join(__dirname, 'model-check.json');

export interface Prompt {
  text: string;
  task: TaskType;
  lang: string;
  file: string;
  hash: string;
}

export const textHash = (text: string) => createHash('sha1').update(text.normalize('NFKC').toLowerCase(), 'utf8').digest('hex');

/** As train.py's is_test(): a hash of the normalised text, so the split never depends on order. */
export function isHeldOut(text: string, testPercent: number): boolean {
  return parseInt(textHash(text).slice(0, 8), 16) % 100 < testPercent;
}

/** Every prompt once (exact duplicates after normalising count once), and the corpus digest. */
export function loadCorpus(): { prompts: Prompt[]; sha256: string } {
  const digest = createHash('sha256');
  const seen = new Set<string>();
  const prompts: Prompt[] = [];
  for (const file of readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.jsonl')).sort()) {
    const raw = readFileSync(join(CORPUS_DIR, file));
    digest.update(`${file}\n`, 'utf8').update(raw);
    for (const line of raw.toString('utf8').split(/\r?\n/)) {
      if (!line.trim()) continue;
      const row = JSON.parse(line) as { text: string; task: TaskType; lang: string };
      if (!(TASK_TYPES as readonly string[]).includes(row.task)) throw new Error(`${file}: unknown task ${row.task}`);
      const hash = textHash(row.text);
      if (seen.has(hash)) continue;
      seen.add(hash);
      prompts.push({ ...row, file, hash });
    }
  }
  return { prompts, sha256: digest.digest('hex') };
}

/** What train.py recorded about the shipped model: the split, its accuracy, its held-out predictions. */
export interface ModelCheck {
  corpusSha256: string;
  testPercent: number;
  accuracy: Record<string, number>;
  /** Text hash → [task, probability], from the training script. */
  predictions: Record<string, [string, number]>;
}

/** The shipped weights (src/core/routing/classifier.json). */
export const readClassifierData = (): ClassifierData => JSON.parse(readFileSync(MODEL_FILE, 'utf8')) as ClassifierData;

export const readModelCheck = (): ModelCheck => JSON.parse(readFileSync(CHECK_FILE, 'utf8')) as ModelCheck;

/** The prompts training never saw, by the split the shipped model was trained with. */
export function heldOutPrompts(corpus = loadCorpus()): Prompt[] {
  const { testPercent } = readModelCheck();
  return corpus.prompts.filter((p) => isHeldOut(p.text, testPercent));
}
