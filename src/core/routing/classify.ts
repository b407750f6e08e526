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
  /**
   * Common prose words no feature names, one per line: not part of the model, only words whose
   * n-grams are worth keeping once walked (train.py's known_words).
   */
  known?: string;
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
const INVERSE = Float64Array.from({ length: 64 }, (_, c) => 1 / c);
/** NFKC leaves ASCII as it is: only other text pays for normalising. */
const NON_ASCII = /[^\x00-\x7f]/;
const SURROGATE = /[\ud800-\udfff]/;
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
/** The code point of the code units `u` starting at `i` (a lone surrogate stands for itself). */
function codePointFrom(u: Uint16Array, i: number, end: number): number {
  const c = u[i]!;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
    const lo = u[i + 1]!;
    if (lo >= 0xdc00 && lo <= 0xdfff) return (c - 0xd800) * 0x400 + lo - 0xdc00 + 0x10000;
  }
  return c;
}
/** The code point of `u` ending just before `i`. */
function codePointBefore(u: Uint16Array, i: number, start: number): number {
  const c = u[i - 1]!;
  if (c >= 0xdc00 && c <= 0xdfff && i - 2 >= start) {
    const hi = u[i - 2]!;
    if (hi >= 0xd800 && hi <= 0xdbff) return (hi - 0xd800) * 0x400 + c - 0xdc00 + 0x10000;
  }
  return c;
}
/** FNV-1a over UTF-16 code units: how StringTable hashes a key, and callers the text they look up. */
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
function hashRange(u: Uint16Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ u[i]!, FNV_PRIME);
  return h;
}
const SPACE = 0x20;
/** Messages Firings tells apart by their stamp (15 bits); then it clears its stamps and starts again. */
export const STAMPED_MESSAGES = 0x7fff;
/** explain()'s answer when the evidence in code outweighs every prose word. */
const IN_CODE = -1;

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

/** Whether u[i] and u[i + 1] (below `end`) are a surrogate pair: one code point. */
function pairAt(u: Uint16Array, i: number, end: number): boolean {
  return u[i]! >= 0xd800 && u[i]! <= 0xdbff && i + 1 < end && u[i + 1]! >= 0xdc00 && u[i + 1]! <= 0xdfff;
}

/**
 * Keeps the first `head` and last `tail` code points of u[0, end) with a space between, as Python's
 * s[:head] + ' ' + s[-tail:] when s is longer than both; returns the new end. Without `surrogates`
 * a code unit is a code point.
 */
function headTail(u: Uint16Array, end: number, head: number, tail: number, surrogates: boolean): number {
  if (end <= head + tail) return end; // fewer code units than that: fewer code points too
  let a = head; // where the first `head` code points end
  let b = end - tail; // where the last `tail` begin
  if (surrogates) {
    a = 0;
    for (let n = 0; n < head && a < end; n++) a += pairAt(u, a, end) ? 2 : 1;
    b = end;
    for (let n = 0; n < tail && b > 0; n++) b -= b >= 2 && pairAt(u, b - 2, end) ? 2 : 1;
  }
  if (b <= a) return end; // head + tail code points or fewer
  u[a] = SPACE;
  u.copyWithin(a + 1, b, end);
  return a + 1 + end - b;
}

/**
 * The n-grams as a double-array trie (Aoe, 1989): the child of the node in slot `s` by character id
 * `c` is slot `base(s) + c`, when that slot's parent is `s`. A step down is two reads from one array,
 * with no hashing: the hot path of classify(), a thousand steps for a long message.
 */
class DoubleArrayTrie {
  /** Per slot, three ints: base, parent slot (-1: free, -2: the root's) and the feature the n-gram ending here is (-1: none). */
  readonly cells: Int32Array;
  /**
   * N-gram g is the character ids ids[starts[g], starts[g + 1]) (1 to width - 1) and feature features[g].
   * Built in typed arrays without an object per node: the first chat message waits for this.
   */
  constructor(ids: readonly number[], starts: readonly number[], features: readonly number[], width: number) {
    // The trie as edges: node × width + character id → child node; the root is node 0.
    const edges = new Map<number, number>();
    const feature = [-1];
    for (let g = 0; g + 1 < starts.length; g++) {
      let node = 0;
      for (let j = starts[g]!; j < starts[g + 1]!; j++) {
        const key = node * width + ids[j]!;
        let child = edges.get(key);
        if (child === undefined) {
          edges.set(key, (child = feature.length));
          feature.push(-1);
        }
        node = child;
      }
      feature[node] = features[g]!;
    }
    const nodes = feature.length;
    // Each node's children, grouped by node: their character ids and node numbers from first[node].
    const first = new Int32Array(nodes + 1);
    for (const key of edges.keys()) first[Math.floor(key / width) + 1]!++;
    for (let n = 0; n < nodes; n++) first[n + 1]! += first[n]!;
    const next = first.slice(0, nodes);
    const childId = new Int32Array(nodes);
    const childNode = new Int32Array(nodes);
    for (const [key, child] of edges) {
      const at = next[Math.floor(key / width)]!++;
      childId[at] = key % width;
      childNode[at] = child;
    }
    // Place each node's children, breadth first, at the first base where all of them find free slots.
    let size = (nodes + width) * 2;
    let base = new Int32Array(size);
    let parent = new Int32Array(size).fill(-1);
    const grow = () => {
      const b = new Int32Array(size * 2);
      b.set(base);
      const p = new Int32Array(size * 2).fill(-1);
      p.set(parent);
      base = b;
      parent = p;
      size *= 2;
    };
    const slot = new Int32Array(nodes);
    parent[0] = -2; // the root has none
    let free = 1;
    let top = 0;
    const queue = new Int32Array(nodes);
    let queued = 1;
    for (let q = 0; q < queued; q++) {
      const node = queue[q]!;
      const from = first[node]!;
      const to = first[node + 1]!;
      if (from === to) continue; // base 0: every slot it names has another parent
      let low = width;
      for (let j = from; j < to; j++) low = Math.min(low, childId[j]!);
      for (;;) {
        while (free + width >= size) grow();
        if (parent[free] === -1) break;
        free++;
      }
      // Try each free slot, from the first, for the child with the lowest id; then the others must fit.
      let b = 0;
      for (let at = Math.max(free, low); ; at++) {
        while (at + width >= size) grow();
        if (parent[at] !== -1) continue;
        b = at - low;
        let j = from;
        while (j < to && parent[b + childId[j]!] === -1) j++;
        if (j === to) break;
      }
      const s = slot[node]!;
      base[s] = b;
      top = Math.max(top, b);
      for (let j = from; j < to; j++) {
        parent[b + childId[j]!] = s;
        slot[childNode[j]!] = b + childId[j]!;
        queue[queued++] = childNode[j]!;
      }
    }
    // Every base + id stays inside the array, so a step never reads past its end.
    const slots = top + width;
    this.cells = new Int32Array(slots * 3);
    for (let s = 0; s < slots; s++) {
      this.cells[3 * s] = base[s]!;
      this.cells[3 * s + 1] = parent[s]!;
      this.cells[3 * s + 2] = -1;
    }
    for (let node = 0; node < nodes; node++) this.cells[3 * slot[node]! + 2] = feature[node]!;
  }
}

/**
 * An open-addressing hash table from a non-negative int32 key to an int32 value: word pairs by their
 * two word ids, far faster than a Map.
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
 * Strings to non-negative ints, looked up by a range of code units (and its hashRange), so a word of
 * the message is found without slicing it out or hashing it again.
 */
class StringTable {
  /** The keys' code units end to end; key e is chars[start[e], start[e + 1]). */
  private readonly chars: Uint16Array;
  private readonly start: Int32Array;
  private readonly values: Int32Array;
  /** Per slot the key's hash and its entry plus one (0: empty). */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly shift: number;
  /** The longest key, in code units: longer text is not looked up. */
  readonly longest: number;
  constructor(entries: Array<[string, number]>) {
    this.start = new Int32Array(entries.length + 1);
    this.values = Int32Array.from(entries, ([, value]) => value);
    entries.forEach(([key], e) => (this.start[e + 1] = this.start[e]! + key.length));
    this.longest = entries.reduce((n, [key]) => Math.max(n, key.length), 0);
    this.chars = new Uint16Array(this.start[entries.length]!);
    let size = 16;
    let bits = 4;
    while (size < entries.length * 2) {
      size *= 2;
      bits++;
    }
    this.slots = new Int32Array(size * 2);
    this.mask = size - 1;
    this.shift = 32 - bits;
    entries.forEach(([key], e) => {
      for (let j = 0; j < key.length; j++) this.chars[this.start[e]! + j] = key.charCodeAt(j);
      const h = hashRange(this.chars, this.start[e]!, this.start[e + 1]!);
      let i = Math.imul(h, 0x9e3779b1) >>> this.shift;
      while (this.slots[2 * i + 1] !== 0) i = (i + 1) & this.mask;
      this.slots[2 * i] = h;
      this.slots[2 * i + 1] = e + 1;
    });
  }
  /** The value of the code units u[from, to), whose hashRange is `h`, or -1. */
  get(u: Uint16Array, from: number, to: number, h: number): number {
    const { slots, mask, chars, start } = this;
    for (let i = Math.imul(h, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
      const e = slots[2 * i + 1]! - 1;
      if (e < 0) return -1;
      if (slots[2 * i] !== h) continue;
      const k = start[e]!;
      const length = start[e + 1]! - k;
      if (length !== to - from) continue;
      let j = 0;
      while (j < length && chars[k + j] === u[from + j]) j++;
      if (j === length) return this.values[e]!;
    }
  }
}

/**
 * Per message, which features fired, how often and where. Scratch owned by the classifier, cleared by
 * reset() and grown when a message needs more.
 */
class Firings {
  /**
   * Per feature, one int: the message it last fired in (a generation number, so nothing needs
   * clearing between messages) × 2^16 + its place in `touched` in that message.
   */
  private readonly seen: Int32Array;
  private generation = 1;
  private readonly one = new Int32Array(1);
  /** The features that fired, in the order they first did; how many; and per place, how often. */
  readonly touched: Int32Array;
  readonly counts: Int32Array;
  distinct = 0;
  /**
   * Per firing, its feature's place in `touched`: each prose word's firings together, in order, then
   * the code's (from codeFirst to codeEnd), then the length marker's.
   */
  length = 0;
  slot = new Int32Array(4096);
  codeFirst = 0;
  codeEnd = 0;
  /** Each prose word's code units in the classifier's `units`, and its first firing (one more: the end). */
  words = 0;
  wordStart = new Int32Array(256);
  wordEnd = new Int32Array(256);
  wordFirst = new Int32Array(257);

  constructor(features: number) {
    if (features > 0x10000) throw new Error('classifier vocabulary too large');
    this.seen = new Int32Array(features);
    this.touched = new Int32Array(features);
    this.counts = new Int32Array(features);
  }

  add(f: number): void {
    this.one[0] = f;
    this.addAll(this.one, 0, 1);
  }

  /** Features list[from, to), fired in that order. */
  addAll(list: Int32Array, from: number, to: number): void {
    if (this.length + to - from > this.slot.length) this.slot = grown(this.slot, new Int32Array(Math.max(this.slot.length * 2, this.length + to - from)));
    const { seen, touched, counts, slot } = this;
    const stamp = this.generation << 16;
    let { length, distinct } = this;
    for (let j = from; j < to; j++) {
      const f = list[j]!;
      const s = seen[f]!;
      let t: number;
      if ((s & ~0xffff) !== stamp) {
        t = distinct++;
        seen[f] = stamp | t;
        touched[t] = f;
        counts[t] = 1;
      } else {
        t = s & 0xffff;
        counts[t]!++;
      }
      slot[length++] = t;
    }
    this.length = length;
    this.distinct = distinct;
  }

  /** The place in `touched` of a feature that fired in this message. */
  slotOf(f: number): number {
    return this.seen[f]! & 0xffff;
  }

  /** A new prose word: the firings that follow, until the next word or endWords(), are its. */
  addWord(start: number, end: number): void {
    if (this.words === this.wordStart.length) {
      this.wordStart = grown(this.wordStart, new Int32Array(this.words * 2));
      this.wordEnd = grown(this.wordEnd, new Int32Array(this.words * 2));
      this.wordFirst = grown(this.wordFirst, new Int32Array(this.words * 2 + 1));
    }
    this.wordStart[this.words] = start;
    this.wordEnd[this.words] = end;
    this.wordFirst[this.words++] = this.length;
  }

  endWords(): void {
    this.wordFirst[this.words] = this.codeFirst = this.codeEnd = this.length;
  }

  reset(): void {
    if (++this.generation > STAMPED_MESSAGES) {
      this.seen.fill(0);
      this.generation = 1;
    }
    this.distinct = 0;
    this.length = 0;
    this.words = 0;
  }
}

/** `to`, a larger array, holding `from`'s values first. */
function grown(from: Int32Array, to: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  to.set(from);
  return to;
}

/** A trained task classifier. Build it once from the weights file; classify() is pure and takes microseconds. */
export class TaskClassifier {
  private readonly labels: TaskType[];
  private readonly spec: ClassifierData['features'];
  /** Code point → a small id (1…), for the characters any n-gram of the vocabulary uses. */
  private readonly alphabet = new Map<number, number>();
  /** The n-grams by character id, as DoubleArrayTrie's cells; the root is slot 0. */
  private readonly trie: Int32Array;
  /** Markers by name (`\0lang:py`, `\0shape:diff`); the ones every message may need, by index. */
  private readonly named = new Map<string, number>();
  private readonly codeMarker: number;
  private readonly lengthMarkers: number[];
  /**
   * Every word a word or pair feature names, and the weights file's known common words → a word id;
   * its word feature (-1: none); pairs by first id × word count + second id; identifiers in code by
   * themselves.
   */
  private readonly words: StringTable;
  private readonly wordFeature: Int32Array;
  private readonly pairs: IntTable;
  private readonly codeWords: StringTable;
  /** Each feature's idf, as its level (one byte, as shipped: the array stays in the CPU's cache) and the levels. */
  private readonly idfLevel: Uint8Array;
  private readonly idfOf: Float64Array;
  /**
   * The int8 weights as shipped, feature-major (8 bytes a feature: the whole table stays in the CPU's
   * cache), and each task's scale, applied once per message to the summed scores.
   */
  private readonly w8: Int8Array;
  private readonly scales: Float64Array;
  /** Each feature's mean weight over the tasks, for the evidence (single precision: half the memory). */
  private readonly meanW: Float32Array;
  private readonly intercepts: number[];
  /** Scratch, per message: what fired, then per touched feature its normalised TF-IDF value. */
  private readonly fired: Firings;
  private readonly xs: Float64Array;
  /** Scratch: per touched feature, how much one firing pushes towards the best task (explain()). */
  private readonly pull: Float64Array;
  private readonly sums: Float64Array;
  /** Character ids of the Basic Multilingual Plane, by code point (0: in no n-gram); others in `alphabet`. */
  private readonly bmp = new Uint16Array(0x10000);
  /** Scratch for explain(): the pull of the n-grams inside each span of a long run without spaces. */
  private spans = new Float64Array(1024);
  /** Scratch for explain(): the pull of each prose word (index 0: the code). */
  private byWord = new Float64Array(256);
  /** Scratch for grams(): the n-grams it found, and where. */
  private found = new Int32Array(1024);
  private foundStart = new Int32Array(1024);
  private foundLength = new Int32Array(1024);
  /**
   * The n-gram features of each word `words` knows: words[id] fires known[knownFirst[id],
   * knownEnd[id]) (knownFirst -1: not met yet) and is knownLength[id] code points long. Walked the
   * first time the word is met, then never again.
   */
  private known = new Int32Array(4096);
  private knownUsed = 0;
  private readonly knownFirst: Int32Array;
  private readonly knownEnd: Int32Array;
  private readonly knownLength: Int32Array;
  /** Scratch: the prose's code units; one word's character ids with its padding; an identifier in code. */
  private units = new Uint16Array(1024);
  private ids = new Int32Array(1024);
  private readonly run: Uint16Array;

  constructor(data: ClassifierData) {
    if (data.format !== 'switchboard-task-classifier/1') throw new Error(`unknown classifier format ${String(data.format)}`);
    for (const l of data.labels) if (!(TASK_TYPES as readonly string[]).includes(l)) throw new Error(`classifier label ${l} is not a task type`);
    this.labels = data.labels as TaskType[];
    this.spec = data.features;
    const vocab = data.vocab.split('\n');
    /** The n-grams as character ids end to end, where each starts, and its feature (DoubleArrayTrie's input). */
    const gramIds: number[] = [];
    const gramStarts = [0];
    const gramFeatures: number[] = [];
    const wordIds = new Map<string, number>();
    const wordId = (w: string) => {
      let id = wordIds.get(w);
      if (id === undefined) wordIds.set(w, (id = wordIds.size));
      return id;
    };
    const wordFeatures: Array<[number, number]> = [];
    const pairFeatures: Array<[number, number, number]> = [];
    const codeWords: Array<[string, number]> = [];
    for (let i = 0; i < vocab.length; i++) {
      const f = vocab[i]!;
      if (f.startsWith(`${MARK}w:`)) {
        wordFeatures.push([wordId(f.slice(3)), i]);
      } else if (f.startsWith(`${MARK}b:`)) {
        // Words never contain a space, so the first space splits the pair.
        const pair = f.slice(3);
        const space = pair.indexOf(' ');
        pairFeatures.push([wordId(pair.slice(0, space)), wordId(pair.slice(space + 1)), i]);
      } else if (f.startsWith(`${MARK}c:`)) {
        codeWords.push([f.slice(3), i]);
      } else if (f.startsWith(MARK)) {
        this.named.set(f, i);
      } else {
        for (let j = 0; j < f.length; j++) {
          const c = f.codePointAt(j)!;
          if (c > 0xffff) j++;
          let id = this.alphabet.get(c);
          if (id === undefined) this.alphabet.set(c, (id = this.alphabet.size + 1));
          gramIds.push(id);
        }
        gramStarts.push(gramIds.length);
        gramFeatures.push(i);
      }
    }
    for (const w of (data.known ?? '').split('\n')) if (w) wordId(w);
    if (this.alphabet.size >= 0xffff) throw new Error('classifier alphabet too large');
    this.words = new StringTable([...wordIds]);
    this.wordFeature = new Int32Array(wordIds.size).fill(-1);
    for (const [id, i] of wordFeatures) this.wordFeature[id] = i;
    if (wordIds.size * wordIds.size > 0x7fffffff) throw new Error('classifier vocabulary has too many words for its pair table');
    this.pairs = new IntTable(pairFeatures.map(([a, b, i]) => [a * wordIds.size + b, i] as [number, number]), pairFeatures.length);
    this.codeWords = new StringTable(codeWords);
    this.run = new Uint16Array(this.codeWords.longest);
    this.codeMarker = this.named.get(`${MARK}code`) ?? -1;
    this.lengthMarkers = [0, 1, 2, 3, 4].map((b) => this.named.get(`${MARK}len:${b}`) ?? -1);
    for (const [c, id] of this.alphabet) if (c <= 0xffff) this.bmp[c] = id;
    this.trie = new DoubleArrayTrie(gramIds, gramStarts, gramFeatures, this.alphabet.size + 1).cells;
    this.knownFirst = new Int32Array(wordIds.size).fill(-1);
    this.knownEnd = new Int32Array(wordIds.size);
    this.knownLength = new Int32Array(wordIds.size);

    const k = this.labels.length;
    this.idfLevel = decode(data.idf.q);
    this.idfOf = Float64Array.from({ length: 256 }, (_, v) => data.idf.lo + (v * (data.idf.hi - data.idf.lo)) / 255);
    const raw = decode(data.weights);
    const w8 = new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    if (this.idfLevel.length !== vocab.length || w8.length !== vocab.length * k || data.scales.length !== k) throw new Error('classifier weights do not match its vocabulary');
    this.w8 = Int8Array.from(w8);
    this.scales = Float64Array.from(data.scales);
    this.meanW = new Float32Array(vocab.length);
    for (let f = 0; f < vocab.length; f++) {
      let mean = 0;
      for (let c = 0; c < k; c++) mean += (this.w8[f * k + c]! * this.scales[c]!) / k;
      this.meanW[f] = mean;
    }
    this.intercepts = data.intercepts;
    this.fired = new Firings(vocab.length);
    this.xs = new Float64Array(vocab.length);
    this.pull = new Float64Array(vocab.length);
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
      this.fired.reset();
    }
  }

  /** Probabilities per task, in the weights file's label order. */
  probabilities(text: string, context: ClassifyContext = {}): number[] {
    const probs = this.score(text, context);
    this.fired.reset();
    return probs;
  }

  /** Leaves `fired` and `xs` (values, by touched index) filled; fired.reset() clears them. */
  private score(text: string, context: ClassifyContext): number[] {
    const full = context.code ? `${text}\n\`\`\`${context.languageId ?? ''}\n${context.code}\n\`\`\`` : text;
    this.extract(full);
    const { xs, idfLevel, idfOf, w8 } = this;
    const { counts, touched, distinct: m } = this.fired;
    let norm = 0;
    for (let t = 0; t < m; t++) {
      const f = touched[t]!;
      const c = counts[t]!;
      const v = (c < LOG_TF.length ? LOG_TF[c]! : 1 + Math.log(c)) * idfOf[idfLevel[f]!]!;
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

  /**
   * train.py's features(), recording in `fired` only the features in the vocabulary and where each
   * came from. One pass over the prose: a word's n-grams, then the word and the pair it ends, with no
   * word strings made (test/unit/classifyReference.ts is the same specification, written plainly).
   */
  private extract(text: string): void {
    const fired = this.fired;
    const named = (f: string) => {
      const i = this.named.get(f);
      if (i !== undefined) fired.add(i);
    };
    const ascii = !NON_ASCII.test(text);
    const t = (ascii ? text : text.normalize('NFKC')).toLowerCase();
    // Fenced blocks out of the prose, each leaving a space (as train.py's FENCE.sub(' ', t)).
    const blocks = t.includes('```') ? Array.from(t.matchAll(FENCE)) : [];
    // The prose as code units: the text between the blocks, each block leaving a space, then only its
    // first `head` and last `tail` code points.
    if (this.units.length < t.length + 2) {
      this.units = new Uint16Array(t.length + 2);
      this.ids = new Int32Array(t.length + 2);
    }
    const u = this.units;
    let end = 0;
    let from = 0;
    for (const m of blocks) {
      for (let i = from; i < m.index!; i++) u[end++] = t.charCodeAt(i);
      u[end++] = SPACE;
      from = m.index! + m[0].length;
    }
    for (let i = from; i < t.length; i++) u[end++] = t.charCodeAt(i);
    const { head, tail, maxCodeWords } = this.spec;
    end = headTail(u, end, head, tail, !ascii && SURROGATE.test(t));

    let size = 0;
    const { words, wordFeature, pairs } = this;
    const wordCount = this.wordFeature.length;
    /** The word id of the previous word that trims to something (-1: none, or not a known word). */
    let previous = -1;
    for (let i = 0; i < end; ) {
      if (isSpace(u[i]!)) {
        i++;
        continue;
      }
      // A word: its character n-grams, then the word without its leading and trailing punctuation
      // and the pair it ends.
      const start = i;
      while (i < end && !isSpace(u[i]!)) i++;
      fired.addWord(start, i);
      // A word the vocabulary knows, as it stands (so without punctuation round it), fires the
      // n-grams found when the weights loaded; any other is walked down the trie.
      let id = i - start <= words.longest ? words.get(u, start, i, hashRange(u, start, i)) : -1;
      if (id >= 0) {
        if (this.knownFirst[id]! < 0) this.learn(id, start, i);
        size += this.knownLength[id]!;
        fired.addAll(this.known, this.knownFirst[id]!, this.knownEnd[id]!);
      } else {
        const len = this.wordIds(start, i);
        size += len - 2;
        const count = this.grams(len); // first: it may grow `found`
        fired.addAll(this.found, 0, count);
        let from = start;
        let to = i;
        while (from < to) {
          const cp = codePointFrom(u, from, to);
          if (isWordCodePoint(cp)) break;
          from += cp > 0xffff ? 2 : 1;
        }
        while (to > from) {
          const cp = codePointBefore(u, to, from);
          if (isWordCodePoint(cp)) break;
          to -= cp > 0xffff ? 2 : 1;
        }
        if (from === to) continue; // only punctuation: no word, and the pair skips it
        // Trimmed to something else: that may be a known word.
        if (from > start || to < i) id = to - from <= words.longest ? words.get(u, from, to, hashRange(u, from, to)) : -1;
      }
      if (id >= 0) {
        const w = wordFeature[id]!;
        if (w >= 0) fired.add(w);
        if (previous >= 0) {
          const pair = pairs.get(previous * wordCount + id);
          if (pair >= 0) fired.add(pair);
        }
      }
      previous = id;
    }
    fired.endWords();

    if (blocks.length) {
      if (this.codeMarker >= 0) fired.add(this.codeMarker);
      for (const m of blocks) {
        const lang = m[1]!.trim().split(' ')[0];
        if (lang) named(`${MARK}lang:${lang}`);
      }
      // The first identifiers of the code (train.py's CODE_WORD, [a-z_]+), counting those the vocabulary lacks.
      let left = maxCodeWords;
      const codeWords = this.codeWords;
      const run = this.run;
      scan: for (const m of blocks) {
        const block = m[0];
        for (let j = 0; j < block.length; j++) {
          let c = block.charCodeAt(j);
          if (!((c >= 0x61 && c <= 0x7a) || c === 0x5f)) continue;
          let length = 0;
          let h = FNV_OFFSET;
          do {
            if (length < run.length) run[length] = c;
            length++;
            h = Math.imul(h ^ c, FNV_PRIME);
            c = block.charCodeAt(++j);
          } while ((c >= 0x61 && c <= 0x7a) || c === 0x5f);
          if (left-- <= 0) break scan;
          const f = length <= run.length ? codeWords.get(run, 0, length, h) : -1;
          if (f >= 0) fired.add(f);
        }
      }
      for (const m of blocks) named(`${MARK}shape:${blockShape(m[0])}`);
      fired.codeEnd = fired.length;
    }
    const bucket = size === 0 ? 0 : size < 20 ? 1 : size < 80 ? 2 : size < 300 ? 3 : 4;
    const marker = this.lengthMarkers[bucket]!;
    if (marker >= 0) fired.add(marker);
  }

  /** Walks the known word `id`, met as the prose word units[start, end), and keeps what it fires. */
  private learn(id: number, start: number, end: number): void {
    const len = this.wordIds(start, end);
    const count = this.grams(len);
    if (this.knownUsed + count > this.known.length) this.known = grown(this.known, new Int32Array(Math.max(this.known.length * 2, this.knownUsed + count)));
    this.known.set(this.found.subarray(0, count), this.knownUsed);
    this.knownFirst[id] = this.knownUsed;
    this.knownEnd[id] = this.knownUsed += count;
    this.knownLength[id] = len - 2;
  }

  /** Fills `ids` with the character ids of the prose word units[start, end), padded with a space each side; returns how many. */
  private wordIds(start: number, end: number): number {
    const { ids, bmp, units } = this;
    let len = 0;
    ids[len++] = bmp[SPACE]!;
    for (let i = start; i < end; i++) {
      const c = units[i]!;
      if (c >= 0xd800 && c <= 0xdbff) {
        const cp = codePointFrom(units, i, end);
        if (cp > 0xffff) {
          ids[len++] = this.alphabet.get(cp) ?? 0;
          i++;
          continue;
        }
      }
      ids[len++] = bmp[c]!;
    }
    ids[len++] = bmp[SPACE]!;
    return len;
  }

  /**
   * The n-grams of the word in ids[0, len) that the vocabulary has, walked down the trie: their
   * features into `found` (with `where`, each one's first code point in the word and its length into
   * foundStart and foundLength); returns how many.
   */
  private grams(len: number, where = false): number {
    const { trie, ids } = this;
    const { minN, maxN } = this.spec;
    if (this.found.length < len * maxN) {
      this.found = new Int32Array(len * maxN);
      this.foundStart = new Int32Array(len * maxN);
      this.foundLength = new Int32Array(len * maxN);
    }
    const { found, foundStart, foundLength } = this;
    let count = 0;
    for (let p = 0; p < len; p++) {
      const last = Math.min(len, p + maxN);
      const shortest = p + minN - 1; // where an n-gram from p is minN long
      let node = 0;
      for (let q = p; q < last; q++) {
        const id = ids[q]!;
        if (id === 0) break; // a character no n-gram of the vocabulary has
        const child = trie[3 * node]! + id;
        if (trie[3 * child + 1] !== node) break;
        node = child;
        const f = trie[3 * child + 2]!;
        if (f < 0 || q < shortest) continue;
        if (where) {
          foundStart[count] = p - 1;
          foundLength[count] = q - p + 1;
        }
        found[count++] = f;
      }
    }
    return count;
  }



  /** The prose word (or, inside a long run without spaces, the n-gram) that pushed hardest towards `top`. */
  private explain(top: number): string {
    const k = this.labels.length;
    const ev = this.fired;
    // How much more a feature favours `top` than the average task, per firing (the same for every firing of it).
    const { pull, xs, w8, meanW } = this;
    const { touched, counts, slot } = ev;
    const scale = this.scales[top]!;
    for (let t = 0; t < ev.distinct; t++) {
      const f = touched[t]!;
      const c = counts[t]!;
      pull[t] = xs[t]! * (w8[f * k + top]! * scale - meanW[f]!) * (c < INVERSE.length ? INVERSE[c]! : 1 / c);
    }
    // The code's evidence first, then each prose word's; the length marker belongs to neither.
    let best = -2;
    let bestScore = 0;
    let code = 0;
    for (let j = ev.codeFirst; j < ev.codeEnd; j++) code += pull[slot[j]!]!;
    if (code > bestScore) {
      best = IN_CODE;
      bestScore = code;
    }
    const { wordFirst } = ev;
    for (let w = 0; w < ev.words; w++) {
      let sum = 0;
      for (let j = wordFirst[w]!, last = wordFirst[w + 1]!; j < last; j++) sum += pull[slot[j]!]!;
      if (sum > bestScore) {
        best = w;
        bestScore = sum;
      }
    }
    if (best === IN_CODE) return 'pasted code';
    if (best < 0) return 'overall wording';
    const word = String.fromCharCode.apply(null, this.units.subarray(ev.wordStart[best], ev.wordEnd[best]) as unknown as number[]);
    // A long run without spaces (Chinese, Japanese) is a sentence, not a word: quote the span of up to
    // four characters whose n-grams together pull hardest (“成英文” rather than its strongest fragment “成英”).
    const cps = codePoints(word);
    if (cps.length > 16) {
      const len = cps.length;
      const stride = this.spec.maxN + 1;
      // The run's n-grams again, each with its first character and length (those within the run).
      const count = this.grams(this.wordIds(ev.wordStart[best]!, ev.wordEnd[best]!), true);
      const { found, foundStart, foundLength } = this;
      // inside[p × stride + n]: the pull of the n-grams starting at character p that are at most n long.
      if (this.spans.length < len * stride) this.spans = new Float64Array(len * stride);
      const inside = this.spans.fill(0, 0, len * stride);
      for (let j = 0; j < count; j++) {
        const start = foundStart[j]!;
        const n = foundLength[j]!;
        if (start >= 0 && start + n <= len) inside[start * stride + n] = inside[start * stride + n]! + pull[ev.slotOf(found[j]!)]!;
      }
      for (let p = 0; p < len; p++) for (let n = 2; n < stride; n++) inside[p * stride + n] = inside[p * stride + n]! + inside[p * stride + n - 1]!;
      let spanStart = -1;
      let spanLength = 0;
      let spanScore = 0;
      for (let j = 0; j < count; j++) {
        const start = foundStart[j]!;
        const n = foundLength[j]!;
        if (n < 2 || start < 0 || start + n > len) continue;
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
