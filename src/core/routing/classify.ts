/**
 * Free chat text → task type, with a confidence and the words that decided it. A linear model over
 * character n-grams and words (the average of a logistic regression and NB-LR), trained by
 * data/tasks/train.py; `features()` there and the extraction here are one specification
 * (data/tasks/model-check.json proves they agree on every held-out prompt).
 * No `vscode` import and no training code at run time.
 */
import { TASK_TYPES, type TaskType } from '../tasks';

/**
 * Below this probability the classifier says it is unsure and the message goes to general_qa, the
 * route that answers anything reasonably. On the held-out split 0.5% of messages fall below it, and
 * the best guess for those is right 30% of the time (above it: 95.5%).
 */
export const UNSURE_BELOW = 0.4;

export interface TaskGuess {
  task: TaskType;
  /** The model's probability for its best task, 0 to 1. */
  confidence: number;
  /** Why, in a few words: `“翻译”`, `“limerick”`, `pasted code`; when unsure, what it would have chosen. */
  reason: string;
  /** True when the best task was below UNSURE_BELOW and general_qa was used instead. */
  unsure: boolean;
  /** The best task before the unsure rule applied. */
  best: TaskType;
}

/** What the editor adds to the message: selected code or an attached file counts as pasted code. */
export interface ClassifyContext {
  code?: string;
  languageId?: string;
}

/** The shipped weights file (src/core/routing/classifier.json), written by data/tasks/train.py. */
export interface ClassifierData {
  format: 'switchboard-task-classifier/1';
  corpusSha256: string;
  features: { minN: number; maxN: number; head: number; tail: number; maxCodeWords: number };
  labels: string[];
  /** Feature strings, one per line; `\0`-prefixed ones are words and markers, the rest n-grams. */
  vocab: string;
  idf: { lo: number; hi: number; q: string };
  scales: number[];
  intercepts: number[];
  /** int8, feature-major: the weights of feature i for every task are adjacent. */
  weights: string;
}

const FENCE = /```([^\n`]*)\n[\s\S]*?(?:```|$)/g;
const WORD_EDGE = /^[^\p{L}\p{N}_]+|[^\p{L}\p{N}_]+$/gu;
const isAsciiWordChar = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || (c >= 0x41 && c <= 0x5a);
/** A word without leading and trailing punctuation (train.py's WORD_EDGE); the regex only when an edge needs it. */
function trimWord(w: string): string {
  return isWordEdge(w.charCodeAt(0), w, 0) && isWordEdge(w.charCodeAt(w.length - 1), w, w.length - 1) ? w : w.replace(WORD_EDGE, '');
}
const WORD_CHAR = /[\p{L}\p{N}_]/u;
/** Whether the code unit `c` at `i` of `w` is a whole character WORD_EDGE would keep (a surrogate: let the regex decide). */
function isWordEdge(c: number, w: string, i: number): boolean {
  if (c < 0x80) return isAsciiWordChar(c);
  return (c < 0xd800 || c > 0xdfff) && WORD_CHAR.test(w[i]!);
}
const CODE_WORD = /[a-z_]+/g;
const DIFF_LINE = /^[+-](?![+-])/;
const TRACE = /traceback|exception|error|panic|^\s+at /m;
const DIGIT = /\p{Nd}/u;
const LETTER = /\p{L}/u;
/** The characters train.py's block_shape counts as code symbols, by ASCII code. */
const SYMBOL = Uint8Array.from({ length: 128 }, (_, c) => ('{}();=<>[]'.includes(String.fromCharCode(c)) ? 1 : 0));

/** What a fenced block looks like (train.py's block_shape): diff, trace, numbers, prose, code or empty. */
export function blockShape(block: string): string {
  const nl = block.indexOf('\n');
  const body = nl >= 0 ? block.slice(nl + 1) : '';
  const lines = body.split('\n').filter((l) => l.trim() && !l.startsWith('```'));
  if (!lines.length) return 'empty';
  if (lines.filter((l) => DIFF_LINE.test(l)).length * 3 >= lines.length) return 'diff';
  if (TRACE.test(body)) return 'trace';
  const joined = lines.join('');
  let count = 0;
  let digits = 0;
  let symbols = 0;
  let letters = 0;
  for (let i = 0; i < joined.length; i++) {
    count++;
    const u = joined.charCodeAt(i);
    // ASCII by its code; anything else (a code point at a time) by the Unicode classes.
    if (u < 0x80) {
      if (u >= 0x30 && u <= 0x39) digits++;
      else if (SYMBOL[u]) symbols++;
      else if ((u | 0x20) >= 0x61 && (u | 0x20) <= 0x7a) letters++;
      continue;
    }
    const cp = joined.codePointAt(i)!;
    if (cp > 0xffff) i++;
    const c = String.fromCodePoint(cp);
    if (DIGIT.test(c)) digits++;
    else if (LETTER.test(c)) letters++;
  }
  if (digits * 4 >= count) return 'numbers';
  if (symbols * 40 < count && letters * 2 > count) return 'prose';
  return 'code';
}
const MARK = '\u0000';
/** Sublinear term frequency, 1 + ln(count), for the counts most features reach (exactly as Math.log gives it). */
const LOG_TF = Float64Array.from({ length: 64 }, (_, c) => (c === 1 ? 1 : 1 + Math.log(c)));
const SURROGATE = /[\ud800-\udfff]/;
/** NFKC leaves ASCII as it is: only other text pays for normalising. */
const NON_ASCII = /[^\x00-\x7f]/;
/** Words are split on exactly these (train.py's WS). */
const WS = /[ \t\n\r\f\v\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+/;
const SPACE = 0x20;
/** Evidence that belongs to no prose word. */
const IN_CODE = -1;
const NOWHERE = -2;

function decode(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i)!;
    if (c > 0xffff) i++;
    out.push(c);
  }
  return out;
}

/** The first `head` and last `tail` code points of `s` joined by a space, as Python's s[:head] + ' ' + s[-tail:]. */
function headTail(s: string, head: number, tail: number): string {
  if (s.length <= head + tail) return s; // fewer code units than that: fewer code points too
  // Without surrogate pairs a code unit is a code point: slice instead of decoding a long message.
  if (!SURROGATE.test(s)) return `${s.slice(0, head)} ${s.slice(s.length - tail)}`;
  const cps = codePoints(s);
  if (cps.length <= head + tail) return s;
  return `${String.fromCodePoint(...cps.slice(0, head))} ${String.fromCodePoint(...cps.slice(-tail))}`;
}

/**
 * An open-addressing hash table from a non-negative int32 key to an int32 value, for the n-gram
 * trie: far faster than a Map on the hot path (thousands of look-ups per message).
 */
class IntTable {
  /** Key and value side by side, so a look-up touches one cache line. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Fibonacci hashing: the top bits of key × 2^32/φ, so keys that differ only in high bits spread too. */
  private readonly shift: number;
  constructor(entries: Iterable<[number, number]>, count: number) {
    let size = 16;
    let bits = 4;
    while (size < count * 2) {
      size *= 2;
      bits++;
    }
    this.slots = new Int32Array(size * 2).fill(-1);
    this.mask = size - 1;
    this.shift = 32 - bits;
    for (const [key, value] of entries) {
      let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
      while (this.slots[2 * i] !== -1) i = (i + 1) & this.mask;
      this.slots[2 * i] = key;
      this.slots[2 * i + 1] = value;
    }
  }
  get(key: number): number {
    const { slots, mask } = this;
    for (let i = Math.imul(key, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
      const k = slots[2 * i]!;
      if (k === key) return slots[2 * i + 1]!;
      if (k === -1) return -1;
    }
  }
}

/**
 * Per message, which features fired and where: parallel arrays, one entry per firing (feature index,
 * prose word or IN_CODE / NOWHERE, the n-gram's first code point in that word, its length).
 * Scratch buffers owned by the classifier, grown when a message needs more.
 */
class Firings {
  length = 0;
  feature = new Int32Array(4096);
  word = new Int32Array(4096);
  start = new Int16Array(4096);
  n = new Int8Array(4096);
  text: string[] = [];

  add(f: number, word: number, start: number, n: number): void {
    if (this.length === this.feature.length) this.grow();
    const i = this.length++;
    this.feature[i] = f;
    this.word[i] = word;
    this.start[i] = start;
    this.n[i] = n;
  }

  private grow(): void {
    const size = this.feature.length * 2;
    const copy = <T extends Int32Array | Int16Array | Int8Array>(a: T, b: T): T => (b.set(a), b);
    this.feature = copy(this.feature, new Int32Array(size));
    this.word = copy(this.word, new Int32Array(size));
    this.start = copy(this.start, new Int16Array(size));
    this.n = copy(this.n, new Int8Array(size));
  }
}

/** A trained task classifier. Build it once from the weights file; classify() is pure and takes microseconds. */
export class TaskClassifier {
  private readonly labels: TaskType[];
  private readonly spec: ClassifierData['features'];
  /** Code point → a small id (1…), for the characters any n-gram of the vocabulary uses. */
  private readonly alphabet = new Map<number, number>();
  /** The n-grams as a trie: (node × alphabet size + character id) → child node; the root is node 0. */
  private readonly trie: IntTable;
  /** The root's children by character id: the first step of every n-gram, without hashing. */
  private readonly rootChild: Int32Array;
  private readonly width: number;
  /**
   * Trie values are packed: the child node in the low `nodeBits` bits, above them the feature index the
   * child completes plus one (0: none), so a step down the trie is one memory read.
   */
  private readonly nodeBits: number;
  private readonly named = new Map<string, number>();
  /** Word features by the bare word, and word pairs by first then second word: no string building per look-up. */
  private readonly wordIndex = new Map<string, number>();
  private readonly pairIndex = new Map<string, Map<string, number>>();
  private readonly idf: Float64Array;
  /**
   * The int8 weights as shipped, feature-major (8 bytes a feature: the whole table stays in the CPU's
   * cache), and each task's scale, applied once per message to the summed scores.
   */
  private readonly w8: Int8Array;
  private readonly scales: Float64Array;
  /** Each feature's mean weight over the tasks, for the evidence. */
  private readonly meanW: Float64Array;
  private readonly intercepts: number[];
  /** Scratch, per message: firings per feature, then its normalised TF-IDF value (reset after use). */
  private readonly counts: Int32Array;
  private readonly xs: Float64Array;
  private readonly fired = new Firings();
  /** Scratch: the features that fired in this message (first firing order), and how many. */
  private readonly touched: Int32Array;
  private touchedCount = 0;
  /** Scratch: per touched feature, how much one firing pushes towards the best task (explain()). */
  private readonly pull: Float64Array;
  private readonly sums: Float64Array;
  /** Character ids of the Basic Multilingual Plane, by code point (0: in no n-gram); others in `alphabet`. */
  private readonly bmp = new Uint16Array(0x10000);
  /** Scratch for explain(): the pull of the n-grams inside each span of a long run without spaces. */
  private spans = new Float64Array(1024);
  /** Scratch for explain(): the pull of each prose word (index 0: the code). */
  private byWord = new Float64Array(256);
  /** Scratch: one word's character ids with its padding. */
  private ids = new Int32Array(1024);

  constructor(data: ClassifierData) {
    if (data.format !== 'switchboard-task-classifier/1') throw new Error(`unknown classifier format ${String(data.format)}`);
    for (const l of data.labels) if (!(TASK_TYPES as readonly string[]).includes(l)) throw new Error(`classifier label ${l} is not a task type`);
    this.labels = data.labels as TaskType[];
    this.spec = data.features;
    const vocab = data.vocab.split('\n');
    const grams: Array<[number[], number]> = [];
    vocab.forEach((f, i) => {
      if (f.startsWith(`${MARK}w:`)) {
        this.wordIndex.set(f.slice(3), i);
        return;
      }
      if (f.startsWith(`${MARK}b:`)) {
        // Words never contain a space, so the first space splits the pair.
        const pair = f.slice(3);
        const space = pair.indexOf(' ');
        const first = pair.slice(0, space);
        let seconds = this.pairIndex.get(first);
        if (!seconds) this.pairIndex.set(first, (seconds = new Map()));
        seconds.set(pair.slice(space + 1), i);
        return;
      }
      if (f.startsWith(MARK)) {
        this.named.set(f, i);
        return;
      }
      const cps = codePoints(f);
      for (const c of cps) if (!this.alphabet.has(c)) this.alphabet.set(c, this.alphabet.size + 1);
      grams.push([cps, i]);
    });
    if (this.alphabet.size >= 0xffff) throw new Error('classifier alphabet too large');
    for (const [c, id] of this.alphabet) if (c <= 0xffff) this.bmp[c] = id;
    this.width = this.alphabet.size + 1;
    const maxNodes = 1 + grams.reduce((n, [cps]) => n + cps.length, 0);
    if (maxNodes * this.width > 0x7fffffff) throw new Error('classifier vocabulary too large for its n-gram table');
    const edges = new Map<number, number>();
    const nodeFeature = new Int32Array(maxNodes).fill(-1);
    for (const [cps, i] of grams) {
      let node = 0;
      for (const c of cps) {
        const key = node * this.width + this.alphabet.get(c)!;
        let child = edges.get(key);
        if (child === undefined) edges.set(key, (child = edges.size + 1));
        node = child;
      }
      nodeFeature[node] = i;
    }
    this.nodeBits = Math.max(1, Math.ceil(Math.log2(edges.size + 1)));
    if ((vocab.length + 1) * 2 ** this.nodeBits > 0x7fffffff) throw new Error('classifier vocabulary too large for its n-gram table');
    const pack = (child: number) => child | ((nodeFeature[child]! + 1) << this.nodeBits);
    this.trie = new IntTable(Array.from(edges, ([key, child]) => [key, pack(child)] as [number, number]), edges.size);
    this.rootChild = new Int32Array(this.width).fill(-1);
    for (let id = 1; id < this.width; id++) {
      const child = edges.get(id);
      if (child !== undefined) this.rootChild[id] = pack(child);
    }

    const k = this.labels.length;
    const q = decode(data.idf.q);
    this.idf = Float64Array.from(q, (v) => data.idf.lo + (v * (data.idf.hi - data.idf.lo)) / 255);
    const raw = decode(data.weights);
    const w8 = new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    if (this.idf.length !== vocab.length || w8.length !== vocab.length * k || data.scales.length !== k) throw new Error('classifier weights do not match its vocabulary');
    this.w8 = Int8Array.from(w8);
    this.scales = Float64Array.from(data.scales);
    this.meanW = new Float64Array(vocab.length);
    for (let f = 0; f < vocab.length; f++) {
      for (let c = 0; c < k; c++) this.meanW[f]! += (this.w8[f * k + c]! * this.scales[c]!) / k;
    }
    this.intercepts = data.intercepts;
    this.xs = new Float64Array(vocab.length);
    this.counts = new Int32Array(vocab.length);
    this.pull = new Float64Array(vocab.length);
    this.touched = new Int32Array(vocab.length);
    this.sums = new Float64Array(k);
  }

  /** Guesses the task of a chat message, with its confidence and the words that decided it. */
  classify(text: string, context: ClassifyContext = {}): TaskGuess {
    const probs = this.score(text, context);
    try {
      let top = 0;
      for (let c = 1; c < probs.length; c++) if (probs[c]! > probs[top]!) top = c;
      const best = this.labels[top]!;
      const confidence = probs[top]!;
      if (confidence < UNSURE_BELOW && best !== 'general_qa') {
        return { task: 'general_qa', best, confidence, unsure: true, reason: `unsure (${Math.round(confidence * 100)}% ${best.replace('_', ' ')})` };
      }
      return { task: best, best, confidence, unsure: false, reason: this.explain(top) };
    } finally {
      this.reset();
    }
  }

  /** Probabilities per task, in the weights file's label order. */
  probabilities(text: string, context: ClassifyContext = {}): number[] {
    const probs = this.score(text, context);
    this.reset();
    return probs;
  }

  /** Leaves `counts` (firings per feature) and `xs` (values, by touched index) filled; reset() clears the counts. */
  private score(text: string, context: ClassifyContext): number[] {
    const full = context.code ? `${text}\n\`\`\`${context.languageId ?? ''}\n${context.code}\n\`\`\`` : text;
    this.extract(full);
    const { counts, xs, idf, w8, touched } = this;
    const feature = this.fired.feature;
    const n = this.fired.length;
    let m = 0;
    for (let j = 0; j < n; j++) {
      const f = feature[j]!;
      if (counts[f]!++ === 0) touched[m++] = f;
    }
    this.touchedCount = m;
    let norm = 0;
    for (let t = 0; t < m; t++) {
      const f = touched[t]!;
      const c = counts[f]!;
      const v = (c < LOG_TF.length ? LOG_TF[c]! : 1 + Math.log(c)) * idf[f]!;
      xs[t] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    const k = this.labels.length;
    const s = this.sums.fill(0);
    if (k === 8) {
      // The eight task types in locals: the same sums in the same order, without a store per weight.
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let t = 0; t < m; t++) {
        const f = touched[t]!;
        const x = (xs[t] = xs[t]! * inv);
        const b = f * 8;
        s0 += x * w8[b]!;
        s1 += x * w8[b + 1]!;
        s2 += x * w8[b + 2]!;
        s3 += x * w8[b + 3]!;
        s4 += x * w8[b + 4]!;
        s5 += x * w8[b + 5]!;
        s6 += x * w8[b + 6]!;
        s7 += x * w8[b + 7]!;
      }
      s[0] = s0; s[1] = s1; s[2] = s2; s[3] = s3; s[4] = s4; s[5] = s5; s[6] = s6; s[7] = s7;
    } else {
      for (let t = 0; t < m; t++) {
        const f = touched[t]!;
        const x = (xs[t] = xs[t]! * inv);
        const base = f * k;
        for (let c = 0; c < k; c++) s[c] = s[c]! + x * w8[base + c]!;
      }
    }
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      s[c] = this.intercepts[c]! + s[c]! * this.scales[c]!;
      if (s[c]! > max) max = s[c]!;
    }
    const probs = new Array<number>(k);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += probs[c] = Math.exp(s[c]! - max);
    for (let c = 0; c < k; c++) probs[c] = probs[c]! / sum;
    return probs;
  }

  private reset(): void {
    const { counts, touched } = this;
    for (let t = 0; t < this.touchedCount; t++) counts[touched[t]!] = 0;
    this.touchedCount = 0;
  }

  /** train.py's features(), recording in `fired` only the features in the vocabulary and where each came from. */
  private extract(text: string): void {
    const fired = this.fired;
    fired.length = 0;
    const named = (f: string, word: number) => {
      const i = this.named.get(f);
      if (i !== undefined) fired.add(i, word, 0, 0);
    };
    const t = (NON_ASCII.test(text) ? text.normalize('NFKC') : text).toLowerCase();
    const blocks = t.includes('```') ? Array.from(t.matchAll(FENCE)) : [];
    const { head, tail, minN, maxN, maxCodeWords } = this.spec;
    const prose = headTail(blocks.length ? t.replace(FENCE, ' ') : t, head, tail);
    const words = prose.split(WS).filter(Boolean);
    fired.text = words;

    // Character n-grams of each word padded with one space each side, walked down the trie.
    let size = 0;
    const { trie, rootChild, width, nodeBits, bmp } = this;
    const nodeMask = (1 << nodeBits) - 1;
    if (this.ids.length < prose.length + 2) this.ids = new Int32Array(prose.length + 2);
    const ids = this.ids;
    for (let wi = 0; wi < words.length; wi++) {
      const word = words[wi]!;
      let len = 0;
      ids[len++] = bmp[SPACE]!;
      for (let i = 0; i < word.length; i++) {
        const c = word.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < word.length) {
          ids[len++] = this.alphabet.get(word.codePointAt(i)!) ?? 0;
          i++;
        } else {
          ids[len++] = bmp[c]!;
        }
      }
      ids[len++] = bmp[SPACE]!;
      size += len - 2;
      for (let i = 0; i < len; i++) {
        let node = 0;
        for (let n = 1; n <= maxN && i + n <= len; n++) {
          const id = ids[i + n - 1]!;
          if (id === 0) break; // a character no n-gram of the vocabulary has
          const v = n === 1 ? rootChild[id]! : trie.get(node * width + id);
          if (v < 0) break;
          node = v & nodeMask;
          const f = (v >>> nodeBits) - 1;
          if (f >= 0 && n >= minN) fired.add(f, wi, i - 1, n);
        }
      }
    }
    // Whole words and word pairs, without surrounding punctuation.
    let previous: Map<string, number> | undefined;
    for (let wi = 0; wi < words.length; wi++) {
      const c = trimWord(words[wi]!);
      if (!c) continue;
      const w = this.wordIndex.get(c);
      if (w !== undefined) fired.add(w, wi, 0, 0);
      const pair = previous?.get(c);
      if (pair !== undefined) fired.add(pair, wi, 0, 0);
      previous = this.pairIndex.get(c);
    }
    if (blocks.length) {
      named(`${MARK}code`, IN_CODE);
      for (const m of blocks) {
        const lang = m[1]!.trim().split(' ')[0];
        if (lang) named(`${MARK}lang:${lang}`, IN_CODE);
      }
      let left = maxCodeWords;
      for (const m of blocks) {
        for (const w of m[0].match(CODE_WORD) ?? []) {
          if (left-- <= 0) break;
          named(`${MARK}c:${w}`, IN_CODE);
        }
      }
      for (const m of blocks) named(`${MARK}shape:${blockShape(m[0])}`, IN_CODE);
    }
    const bucket = size === 0 ? 0 : size < 20 ? 1 : size < 80 ? 2 : size < 300 ? 3 : 4;
    named(`${MARK}len:${bucket}`, NOWHERE);
  }

  /** The prose word (or, inside a long run without spaces, the n-gram) that pushed hardest towards `top`. */
  private explain(top: number): string {
    const k = this.labels.length;
    const ev = this.fired;
    // How much more a feature favours `top` than the average task, per firing (the same for every firing of it).
    const { pull, touched, xs, w8, meanW, counts } = this;
    const scale = this.scales[top]!;
    for (let t = 0; t < this.touchedCount; t++) {
      const f = touched[t]!;
      pull[f] = (xs[t]! * (w8[f * k + top]! * scale - meanW[f]!)) / counts[f]!;
    }
    // Index 0 collects the evidence in code; word w is at w + 1; NOWHERE (the length marker) is left out.
    if (this.byWord.length < ev.text.length + 1) this.byWord = new Float64Array(ev.text.length + 1);
    const byWord = this.byWord.fill(0, 0, ev.text.length + 1);
    for (let j = 0; j < ev.length; j++) {
      const w = ev.word[j]!;
      if (w !== NOWHERE) byWord[w + 1] = byWord[w + 1]! + pull[ev.feature[j]!]!;
    }
    let best = NOWHERE;
    let bestScore = 0;
    for (let i = 0; i <= ev.text.length; i++) {
      if (byWord[i]! > bestScore) {
        best = i - 1;
        bestScore = byWord[i]!;
      }
    }
    if (best === IN_CODE) return 'pasted code';
    const word = ev.text[best];
    if (!word) return 'overall wording';
    // A long run without spaces (Chinese, Japanese) is a sentence, not a word: quote the span of up to
    // four characters whose n-grams together pull hardest (“成英文” rather than its strongest fragment “成英”).
    const cps = codePoints(word);
    if (cps.length > 16) {
      const len = cps.length;
      const stride = this.spec.maxN + 1;
      // inside[p × stride + n]: the pull of the n-grams starting at character p that are at most n long.
      if (this.spans.length < len * stride) this.spans = new Float64Array(len * stride);
      const inside = this.spans.fill(0, 0, len * stride);
      for (let j = 0; j < ev.length; j++) {
        const start = ev.start[j]!;
        const n = ev.n[j]!;
        if (ev.word[j] === best && n > 0 && start >= 0 && start + n <= len) inside[start * stride + n] = inside[start * stride + n]! + pull[ev.feature[j]!]!;
      }
      for (let p = 0; p < len; p++) for (let n = 2; n < stride; n++) inside[p * stride + n] = inside[p * stride + n]! + inside[p * stride + n - 1]!;
      let spanStart = -1;
      let spanLength = 0;
      let spanScore = 0;
      for (let j = 0; j < ev.length; j++) {
        const start = ev.start[j]!;
        const n = ev.n[j]!;
        if (ev.word[j] !== best || n < 2 || start < 0 || start + n > len) continue;
        let score = 0;
        for (let p = start; p < start + n; p++) score += inside[p * stride + (start + n - p)]!;
        if (spanStart < 0 || score > spanScore) {
          spanStart = start;
          spanLength = n;
          spanScore = score;
        }
      }
      if (spanStart >= 0) {
        const quoted = String.fromCodePoint(...cps.slice(spanStart, spanStart + spanLength)).replace(WORD_EDGE, '');
        if (quoted) return `“${quoted}”`;
      }
    }
    return `“${trimWord(word)}”`;
  }
}
