/**
 * data/tasks/train.py's features() and predict(), written as plainly as the Python: one string per
 * feature, a Map for the vocabulary. src/core/routing/classify.ts computes the same thing without making
 * those strings; classify.test.ts holds the two side by side.
 */
import { blockShape, type ClassifierData, type ClassifyContext } from '../../src/core/routing/classify';

const WS = /[ \t\n\r\f\v\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+/;
const FENCE = /```([^\n`]*)\n[\s\S]*?(?:```|$)/g;
const WORD_EDGE = /^[^\p{L}\p{N}_]+|[^\p{L}\p{N}_]+$/gu;
const CODE_WORD = /[a-z_]+/g;
const MARK = '\u0000';

export function referenceFeatures(text: string, spec: ClassifierData['features']): string[] {
  const t = text.normalize('NFKC').toLowerCase();
  const blocks = Array.from(t.matchAll(FENCE));
  let prose = t.replace(FENCE, ' ');
  const cps = Array.from(prose);
  if (cps.length > spec.head + spec.tail) prose = `${cps.slice(0, spec.head).join('')} ${cps.slice(-spec.tail).join('')}`;
  const out: string[] = [];
  const words = prose.split(WS).filter(Boolean);
  for (const word of words) {
    const w = Array.from(` ${word} `);
    for (let n = spec.minN; n <= spec.maxN; n++) {
      if (w.length < n) break;
      for (let i = 0; i + n <= w.length; i++) out.push(w.slice(i, i + n).join(''));
    }
  }
  const clean = words.map((w) => w.replace(WORD_EDGE, '')).filter(Boolean);
  for (const c of clean) out.push(`${MARK}w:${c}`);
  for (let i = 1; i < clean.length; i++) out.push(`${MARK}b:${clean[i - 1]} ${clean[i]}`);
  if (blocks.length) {
    out.push(`${MARK}code`);
    for (const m of blocks) {
      const lang = m[1]!.trim().split(' ')[0];
      if (lang) out.push(`${MARK}lang:${lang}`);
    }
    const codeWords = blocks.flatMap((m) => m[0].match(CODE_WORD) ?? []).slice(0, spec.maxCodeWords);
    for (const w of codeWords) out.push(`${MARK}c:${w}`);
    for (const m of blocks) out.push(`${MARK}shape:${blockShape(m[0])}`);
  }
  const size = words.reduce((n, w) => n + Array.from(w).length, 0);
  out.push(`${MARK}len:${size === 0 ? 0 : size < 20 ? 1 : size < 80 ? 2 : size < 300 ? 3 : 4}`);
  return out;
}

const cache = new WeakMap<ClassifierData, { vocab: Map<string, number>; idfQ: Buffer; w8: Int8Array }>();
function parsed(data: ClassifierData) {
  let p = cache.get(data);
  if (!p) {
    p = { vocab: new Map(data.vocab.split('\n').map((f, i) => [f, i])), idfQ: Buffer.from(data.idf.q, 'base64'), w8: new Int8Array(Buffer.from(data.weights, 'base64')) };
    cache.set(data, p);
  }
  return p;
}

/** train.py's predict(): probabilities per label, from the shipped (quantised) parameters. */
export function referenceProbabilities(data: ClassifierData, text: string, context: ClassifyContext = {}): number[] {
  const full = context.code ? `${text}\n\`\`\`${context.languageId ?? ''}\n${context.code}\n\`\`\`` : text;
  const { vocab, idfQ, w8 } = parsed(data);
  const k = data.labels.length;
  const counts = new Map<number, number>();
  for (const f of referenceFeatures(full, data.features)) {
    const i = vocab.get(f);
    if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  const scores = [...data.intercepts];
  if (counts.size) {
    const ids = [...counts.keys()].sort((a, b) => a - b);
    const vals = ids.map((i) => (1 + Math.log(counts.get(i)!)) * (data.idf.lo + (idfQ[i]! * (data.idf.hi - data.idf.lo)) / 255));
    const norm = Math.sqrt(vals.reduce((s, v) => s + v * v, 0));
    ids.forEach((i, j) => {
      for (let c = 0; c < k; c++) scores[c]! += (vals[j]! / norm) * w8[i * k + c]! * data.scales[c]!;
    });
  }
  const max = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
