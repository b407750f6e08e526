/** The chat task classifier on the held-out split it never trained on: accuracy, latency and size. */
import { statSync } from 'node:fs';
import { MODEL_FILE, heldOutPrompts, readClassifierData } from '../data/tasks/corpus';
import { TaskClassifier } from '../src/core/routing/classify';
import { round } from './stats';

export interface ClassifyResults {
  classify_accuracy: number;
  classify_accuracy_zh: number;
  classify_p99_us: number;
  classify_p50_us: number;
  classifier_kb: number;
  classifier_load_ms: number;
  classify_heldout_n: number;
}

export function measureClassify(log: (line: string) => void): ClassifyResults {
  const t0 = performance.now();
  const classifier = new TaskClassifier(readClassifierData());
  const loadMs = performance.now() - t0;
  const heldOut = heldOutPrompts();

  const byLang = new Map<string, [number, number]>();
  const confusion = new Map<string, number>();
  for (const p of heldOut) {
    const g = classifier.classify(p.text);
    const ok = g.best === p.task;
    for (const key of ['all', p.lang]) {
      const c = byLang.get(key) ?? [0, 0];
      byLang.set(key, [c[0] + (ok ? 1 : 0), c[1] + 1]);
    }
    if (!ok) confusion.set(`${p.task} → ${g.best}`, (confusion.get(`${p.task} → ${g.best}`) ?? 0) + 1);
  }
  for (const [lang, [ok, n]] of byLang) log(`held-out accuracy ${lang.padEnd(4)} ${(ok / n).toFixed(3)} of ${n}`);
  log(`most frequent confusions: ${[...confusion].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, n]) => `${k} ×${n}`).join(', ')}`);

  // Latency per message, every held-out prompt 20 times after a warm-up (the evidence words included).
  for (const p of heldOut) classifier.classify(p.text);
  const us: number[] = [];
  for (let round = 0; round < 20; round++) {
    for (const p of heldOut) {
      const s = performance.now();
      classifier.classify(p.text);
      us.push((performance.now() - s) * 1000);
    }
  }
  us.sort((a, b) => a - b);
  const at = (q: number) => us[Math.min(us.length - 1, Math.floor(q * us.length))]!;
  const acc = (k: string) => {
    const c = byLang.get(k) ?? [0, 1];
    return c[0] / c[1];
  };
  return {
    classify_accuracy: round(acc('all')),
    classify_accuracy_zh: round(acc('zh')),
    classify_p99_us: round(at(0.99), 1),
    classify_p50_us: round(at(0.5), 1),
    classifier_kb: round(statSync(MODEL_FILE).size / 1024, 1),
    classifier_load_ms: round(loadMs, 2),
    classify_heldout_n: heldOut.length,
  };
}
