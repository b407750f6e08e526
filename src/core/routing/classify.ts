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
/** Whether the code unit `c` separates words: exactly the characters of train.py's WS. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200b) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}
/** WORD_CHAR's answer per BMP code point, filled as characters are met (0: not asked yet, 1: yes, 2: no). */
let wordCharCache: Uint8Array | undefined;
/** Whether the code point is a word character (train.py's \w): ASCII by its code, the rest by Unicode class. */
function isWordCodePoint(cp: number): boolean {
  if (cp < 0x80) return isAsciiWordChar(cp);
  if (cp > 0xffff) return WORD_CHAR.test(String.fromCodePoint(cp));
  const cache = (wordCharCache ??= new Uint8Array(0x10000));
  if (cache[cp] === 0) cache[cp] = WORD_CHAR.test(String.fromCharCode(cp)) ? 1 : 2;
  return cache[cp] === 1;
}
/** The code point of `s` starting at `i` (a lone surrogate stands for itself). */
function codePointFrom(s: string, i: number, end: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
    const lo = s.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) return (c - 0xd800) * 0x400 + lo - 0xdc00 + 0x10000;
  }
  return c;
}
/** The code point of `s` ending just before `i`. */
function codePointBefore(s: string, i: number, start: number): number {
  const c = s.charCodeAt(i - 1);
  if (c >= 0xdc00 && c <= 0xdfff && i - 2 >= start) {
    const hi = s.charCodeAt(i - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return (hi - 0xd800) * 0x400 + c - 0xdc00 + 0x10000;
  }
  return c;
}
/** FNV-1a over UTF-16 code units: how StringTable hashes a key, and callers the text they look up. */
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
function hashRange(s: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}
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
 * Strings to non-negative ints, looked up by a range of another string (and its hashRange), so a word
 * of the message is found without slicing it out or hashing it again.
 */
class StringTable {
  private readonly keys: string[] = [];
  private readonly values: number[] = [];
  /** Per slot the key's hash and its entry plus one (0: empty). */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly shift: number;
  /** The longest key, in code units: longer text is not looked up. */
  readonly longest: number = 0;
  constructor(entries: Iterable<[string, number]>) {
    for (const [key, value] of entries) {
      this.keys.push(key);
      this.values.push(value);
      this.longest = Math.max(this.longest, key.length);
    }
    let size = 16;
    let bits = 4;
    while (size < this.keys.length * 2) {
      size *= 2;
      bits++;
    }
    this.slots = new Int32Array(size * 2);
    this.mask = size - 1;
    this.shift = 32 - bits;
    this.keys.forEach((key, e) => {
      const h = hashRange(key, 0, key.length);
      let i = Math.imul(h, 0x9e3779b1) >>> this.shift;
      while (this.slots[2 * i + 1] !== 0) i = (i + 1) & this.mask;
      this.slots[2 * i] = h;
      this.slots[2 * i + 1] = e + 1;
    });
  }
  /** The value of `s.slice(start, end)`, whose hashRange is `h`, or -1. */
  get(s: string, start: number, end: number, h: number): number {
    const { slots, mask } = this;
    for (let i = Math.imul(h, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
      const e = slots[2 * i + 1]!;
      if (e === 0) return -1;
      if (slots[2 * i] === h) {
        const key = this.keys[e - 1]!;
        if (key.length === end - start && s.startsWith(key, start)) return this.values[e - 1]!;
      }
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
  /** The prose the words were found in, and each word's code units in it. */
  prose = '';
  words = 0;
  wordStart = new Int32Array(256);
  wordEnd = new Int32Array(256);

  addWord(start: number, end: number): number {
    if (this.words === this.wordStart.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.wordStart = grow(this.wordStart);
      this.wordEnd = grow(this.wordEnd);
    }
    this.wordStart[this.words] = start;
    this.wordEnd[this.words] = end;
    return this.words++;
  }

  wordText(w: number): string {
    return this.prose.slice(this.wordStart[w], this.wordEnd[w]);
  }

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
  /** Markers by name (`\0lang:py`, `\0shape:diff`); the ones every message may need, by index. */
  private readonly named = new Map<string, number>();
  private readonly codeMarker: number;
  private readonly lengthMarkers: number[];
  /**
   * Every word a word or pair feature names → a word id; its word feature (-1: none); pairs by
   * first id × word count + second id; identifiers in code by themselves.
   */
  private readonly words: StringTable;
  private readonly wordFeature: Int32Array;
  private readonly pairs: IntTable;
  private readonly codeWords: StringTable;
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
    const wordIds = new Map<string, number>();
    const wordId = (w: string) => {
      let id = wordIds.get(w);
      if (id === undefined) wordIds.set(w, (id = wordIds.size));
      return id;
    };
    const wordFeatures: Array<[number, number]> = [];
    const pairFeatures: Array<[number, number, number]> = [];
    const codeWords: Array<[string, number]> = [];
    vocab.forEach((f, i) => {
      if (f.startsWith(`${MARK}w:`)) {
        wordFeatures.push([wordId(f.slice(3)), i]);
        return;
      }
      if (f.startsWith(`${MARK}b:`)) {
        // Words never contain a space, so the first space splits the pair.
        const pair = f.slice(3);
        const space = pair.indexOf(' ');
        pairFeatures.push([wordId(pair.slice(0, space)), wordId(pair.slice(space + 1)), i]);
        return;
      }
      if (f.startsWith(`${MARK}c:`)) {
        codeWords.push([f.slice(3), i]);
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
    this.words = new StringTable(wordIds);
    this.wordFeature = new Int32Array(wordIds.size).fill(-1);
    for (const [id, i] of wordFeatures) this.wordFeature[id] = i;
    if (wordIds.size * wordIds.size > 0x7fffffff) throw new Error('classifier vocabulary has too many words for its pair table');
    this.pairs = new IntTable(pairFeatures.map(([a, b, i]) => [a * wordIds.size + b, i] as [number, number]), pairFeatures.length);
    this.codeWords = new StringTable(codeWords);
    this.codeMarker = this.named.get(`${MARK}code`) ?? -1;
    this.lengthMarkers = [0, 1, 2, 3, 4].map((b) => this.named.get(`${MARK}len:${b}`) ?? -1);
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

  /**
   * train.py's features(), recording in `fired` only the features in the vocabulary and where each
   * came from. One pass over the prose: a word's n-grams, then the word and the pair it ends, with no
   * word strings made (test/unit/classifyReference.ts is the same specification, written plainly).
   */
  private extract(text: string): void {
    const fired = this.fired;
    fired.length = 0;
    fired.words = 0;
    const named = (f: string) => {
      const i = this.named.get(f);
      if (i !== undefined) fired.add(i, IN_CODE, 0, 0);
    };
    const t = (NON_ASCII.test(text) ? text.normalize('NFKC') : text).toLowerCase();
    const blocks = t.includes('```') ? Array.from(t.matchAll(FENCE)) : [];
    const { head, tail, minN, maxN, maxCodeWords } = this.spec;
    const prose = headTail(blocks.length ? t.replace(FENCE, ' ') : t, head, tail);
    fired.prose = prose;

    let size = 0;
    const { trie, rootChild, width, nodeBits, bmp, words, wordFeature, pairs } = this;
    const wordCount = this.wordFeature.length;
    const nodeMask = (1 << nodeBits) - 1;
    const space = bmp[SPACE]!;
    if (this.ids.length < prose.length + 2) this.ids = new Int32Array(prose.length + 2);
    const ids = this.ids;
    /** The word id of the previous word that trims to something (-1: none, or not a known word). */
    let previous = -1;
    const end = prose.length;
    for (let i = 0; i < end; ) {
      if (isSpace(prose.charCodeAt(i))) {
        i++;
        continue;
      }
      // A word: its characters' ids, padded with one space each side.
      const start = i;
      let len = 0;
      ids[len++] = space;
      for (; i < end; i++) {
        const c = prose.charCodeAt(i);
        if (isSpace(c)) break;
        if (c >= 0xd800 && c <= 0xdbff) {
          const cp = codePointFrom(prose, i, end);
          if (cp > 0xffff) {
            ids[len++] = this.alphabet.get(cp) ?? 0;
            i++;
            continue;
          }
        }
        ids[len++] = bmp[c]!;
      }
      ids[len++] = space;
      size += len - 2;
      const wi = fired.addWord(start, i);

      // Its character n-grams, walked down the trie.
      for (let p = 0; p < len; p++) {
        let node = 0;
        for (let n = 1; n <= maxN && p + n <= len; n++) {
          const id = ids[p + n - 1]!;
          if (id === 0) break; // a character no n-gram of the vocabulary has
          const v = n === 1 ? rootChild[id]! : trie.get(node * width + id);
          if (v < 0) break;
          node = v & nodeMask;
          const f = (v >>> nodeBits) - 1;
          if (f >= 0 && n >= minN) fired.add(f, wi, p - 1, n);
        }
      }

      // The word without its leading and trailing punctuation, and the pair it ends.
      let from = start;
      let to = i;
      while (from < to) {
        const cp = codePointFrom(prose, from, to);
        if (isWordCodePoint(cp)) break;
        from += cp > 0xffff ? 2 : 1;
      }
      while (to > from) {
        const cp = codePointBefore(prose, to, from);
        if (isWordCodePoint(cp)) break;
        to -= cp > 0xffff ? 2 : 1;
      }
      if (from === to) continue; // only punctuation: no word, and the pair skips it
      const id = to - from <= words.longest ? words.get(prose, from, to, hashRange(prose, from, to)) : -1;
      if (id >= 0) {
        const w = wordFeature[id]!;
        if (w >= 0) fired.add(w, wi, 0, 0);
        if (previous >= 0) {
          const pair = pairs.get(previous * wordCount + id);
          if (pair >= 0) fired.add(pair, wi, 0, 0);
        }
      }
      previous = id;
    }

    if (blocks.length) {
      if (this.codeMarker >= 0) fired.add(this.codeMarker, IN_CODE, 0, 0);
      for (const m of blocks) {
        const lang = m[1]!.trim().split(' ')[0];
        if (lang) named(`${MARK}lang:${lang}`);
      }
      // The first identifiers of the code (train.py's CODE_WORD, [a-z_]+), counting those the vocabulary lacks.
      let left = maxCodeWords;
      const codeWords = this.codeWords;
      scan: for (const m of blocks) {
        const block = m[0];
        for (let j = 0; j < block.length; j++) {
          let c = block.charCodeAt(j);
          if (!((c >= 0x61 && c <= 0x7a) || c === 0x5f)) continue;
          const from = j;
          let h = FNV_OFFSET;
          do {
            h = Math.imul(h ^ c, FNV_PRIME);
            c = block.charCodeAt(++j);
          } while ((c >= 0x61 && c <= 0x7a) || c === 0x5f);
          if (left-- <= 0) break scan;
          const f = j - from <= codeWords.longest ? codeWords.get(block, from, j, h) : -1;
          if (f >= 0) fired.add(f, IN_CODE, 0, 0);
        }
      }
      for (const m of blocks) named(`${MARK}shape:${blockShape(m[0])}`);
    }
    const bucket = size === 0 ? 0 : size < 20 ? 1 : size < 80 ? 2 : size < 300 ? 3 : 4;
    const marker = this.lengthMarkers[bucket]!;
    if (marker >= 0) fired.add(marker, NOWHERE, 0, 0);
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
    if (this.byWord.length < ev.words + 1) this.byWord = new Float64Array(ev.words + 1);
    const byWord = this.byWord.fill(0, 0, ev.words + 1);
    for (let j = 0; j < ev.length; j++) {
      const w = ev.word[j]!;
      if (w !== NOWHERE) byWord[w + 1] = byWord[w + 1]! + pull[ev.feature[j]!]!;
    }
    let best = NOWHERE;
    let bestScore = 0;
    for (let i = 0; i <= ev.words; i++) {
      if (byWord[i]! > bestScore) {
        best = i - 1;
        bestScore = byWord[i]!;
      }
    }
    if (best === IN_CODE) return 'pasted code';
    if (best < 0) return 'overall wording';
    const word = ev.wordText(best);
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
