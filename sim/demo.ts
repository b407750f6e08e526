/**
 * The demo scenario's answers (`npm start`, `tsx sim/cli.ts --scenario demo`), so a newcomer sees routing at
 * work without a key: each answer takes the shape of the task the request was routed to (read from the
 * `Task: <label>.` line that ends the system prompt) and starts by naming the model. A haiku, a phrasebook
 * translation, a pattern-matching code review, a solved quadratic or sum, a summary, CSV statistics, the demo's
 * code fix or a short answer. Deterministic (the same request gives the same answer) and nothing is evaluated:
 * arithmetic goes through a small parser, never eval or Function.
 */
import { STRUCTURED_REVIEW } from '../src/core/batch/review';
import { TASK_LABELS, type TaskType } from '../src/core/tasks';

export interface DemoBody {
  messages?: Array<{ role?: string; content?: unknown }>;
}

// ─── reading the request ────────────────────────────────────────────────────────────────────────────────────

/** A message's text: a string, or the text parts of a content array. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && typeof p.text === 'string' ? p.text : '')).join('');
  return '';
}

const messagesOf = (body: DemoBody | undefined) => (body && Array.isArray(body.messages) ? body.messages : []);

/** The routed task, from the system message's last `Task: <label>. …` line; general_qa when there is none. */
export function taskOf(body: DemoBody): TaskType {
  const first = messagesOf(body)[0];
  if (first?.role !== 'system') return 'general_qa';
  const lines = textOf(first.content).split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('Task: ')) continue;
    const label = line.slice('Task: '.length);
    const task = (Object.keys(TASK_LABELS) as TaskType[]).find((t) => label === TASK_LABELS[t] || label.startsWith(`${TASK_LABELS[t]}.`));
    return task ?? 'general_qa';
  }
  return 'general_qa';
}

/** The text of the last user message ('' when there is none). */
export function userText(body: DemoBody): string {
  const last = messagesOf(body).findLast((m) => m?.role === 'user');
  return last ? textOf(last.content) : '';
}

export interface Fenced {
  /** The info string after the opening fence, e.g. `typescript`. */
  lang: string;
  code: string;
  /** The text around the block. */
  outside: string;
}

/** The first fenced code block of a Markdown text. */
export function firstFence(text: string): Fenced | undefined {
  const m = /(^|\n)(`{3,}|~{3,})([^\n`]*)\n([\s\S]*?)\n\2[ \t]*(?=\n|$)/.exec(text);
  if (!m) return undefined;
  return { lang: m[3]!.trim(), code: m[4]!, outside: text.slice(0, m.index) + text.slice(m.index + m[0].length) };
}

/** A fence longer than any backtick run in the code. */
function fenced(code: string, lang: string): string {
  const longest = Math.max(2, ...Array.from(code.matchAll(/`+/g), (m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${code}\n${ticks}`;
}

/** The first line of the user's words, short and without Markdown emphasis characters. */
function asked(text: string, fallback = 'your question'): string {
  const line = text.split('\n').find((l) => l.trim()) ?? '';
  const short = line.trim().length > 80 ? `${line.trim().slice(0, 79)}…` : line.trim();
  return short.replace(/[_*`]/g, '') || fallback;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A number for display: integers as such, others to at most 4 decimals; never `-0`. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const r = Math.round(n);
  if (Math.abs(n - r) < 1e-9 * Math.max(1, Math.abs(n))) return String(r === 0 ? 0 : r);
  const s = String(Number(n.toFixed(4)));
  return s === '-0' ? '0' : s;
}

/** True when formatNumber shows n exactly (up to rounding noise). */
const shownExactly = (n: number) => Math.abs(Number(formatNumber(n)) - n) < 1e-9 * Math.max(1, Math.abs(n));

// ─── creative writing: a haiku ──────────────────────────────────────────────────────────────────────────────

const HAIKUS: Record<'rain' | 'code' | 'routing' | 'other', string[][]> = {
  rain: [
    ['Soft rain on the roof', 'each drop a small quiet key', "typing the night's song"],
    ['Gray clouds gather slow', 'the street shines like a mirror', 'puddles hold the sky'],
  ],
  code: [
    ['Off by one again', 'the loop runs a step too far', 'undefined waits there'],
    ['A semicolon', 'missing since the first commit', 'the build turns to red'],
  ],
  routing: [
    ['One key, many doors', 'the switchboard picks the right line', 'answers stream back home'],
    ['The first model sleeps', 'a fallback takes up the thread', 'no word goes missing'],
  ],
  other: [
    ['Morning light arrives', 'the cursor blinks, patient, calm', 'a new day compiles'],
    ['Autumn moon rises', 'leaves let go without a sound', 'the branch does not mind'],
    ['Steam above the cup', 'the first sip before the work', 'quiet, warm, and short'],
  ],
};

/** Three lines, chosen by the prompt's topic words and then by its hash. */
export function haiku(prompt: string): string[] {
  const p = prompt.toLowerCase();
  const topic = /rain|storm|drizzle|雨|lluvia|regen/.test(p)
    ? 'rain'
    : /rout|model|gateway|switchboard|llm|failover|fallback/.test(p)
      ? 'routing'
      : /code|coding|bug|loop|program|function|compile|commit|debug|代码|程序/.test(p)
        ? 'code'
        : 'other';
  const set = HAIKUS[topic];
  return set[hash(prompt) % set.length]!;
}

// ─── translation: a small phrasebook ────────────────────────────────────────────────────────────────────────

type Lang = 'en' | 'zh' | 'ja' | 'es' | 'de';

/** Each phrase in every language; the first form of each language is the one written. */
const PHRASEBOOK: Array<Record<Lang, string[]>> = [
  {
    en: ['Compute the average of a list of numbers; return 0 for an empty array.'],
    zh: ['计算一组数字的平均值，空数组返回 0'],
    ja: ['数値のリストの平均を計算する。空の配列なら 0 を返す。'],
    es: ['Calcula la media de una lista de números; devuelve 0 si el array está vacío.'],
    de: ['Berechnet den Durchschnitt einer Zahlenliste; gibt bei einem leeren Array 0 zurück.'],
  },
  {
    en: ['Hello, world', 'Hello world'],
    zh: ['你好，世界', '你好世界'],
    ja: ['こんにちは、世界', 'ハローワールド'],
    es: ['Hola, mundo'],
    de: ['Hallo, Welt'],
  },
  { en: ['Hello', 'Hi'], zh: ['你好', '您好'], ja: ['こんにちは'], es: ['Hola'], de: ['Hallo'] },
  { en: ['Thank you', 'Thanks'], zh: ['谢谢', '谢谢你', '謝謝'], ja: ['ありがとう', 'ありがとうございます'], es: ['Gracias'], de: ['Danke', 'Danke schön'] },
  { en: ['Good morning'], zh: ['早上好', '早安'], ja: ['おはようございます', 'おはよう'], es: ['Buenos días'], de: ['Guten Morgen'] },
  { en: ['Good night'], zh: ['晚安'], ja: ['おやすみなさい'], es: ['Buenas noches'], de: ['Gute Nacht'] },
  { en: ['How are you?'], zh: ['你好吗？'], ja: ['お元気ですか？'], es: ['¿Cómo estás?'], de: ['Wie geht es dir?'] },
  { en: ['See you tomorrow'], zh: ['明天见'], ja: ['また明日'], es: ['Hasta mañana'], de: ['Bis morgen'] },
];

/** Case, width, accents, punctuation and spaces do not matter when looking a phrase up. */
const phraseKey = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\p{P}\p{S}\s]+/gu, '');

const PHRASE_INDEX = new Map<string, { entry: Record<Lang, string[]>; lang: Lang }>();
for (const entry of PHRASEBOOK) {
  for (const lang of Object.keys(entry) as Lang[]) for (const form of entry[lang]) if (!PHRASE_INDEX.has(phraseKey(form))) PHRASE_INDEX.set(phraseKey(form), { entry, lang });
}

const lookUp = (text: string) => (phraseKey(text) ? PHRASE_INDEX.get(phraseKey(text)) : undefined);

const LANG_WORDS: Record<Lang, string> = {
  en: String.raw`english|inglés|ingles|englisch|anglais|英文|英语|英語`,
  zh: String.raw`chinese|mandarin|chino|chinesisch|中文|汉语|漢語|普通话|简体中文|繁体中文`,
  ja: String.raw`japanese|japonés|japones|japanisch|日语|日文|日本語|日本语`,
  es: String.raw`spanish|español|espanol|spanisch|西班牙语|西班牙文|スペイン語`,
  de: String.raw`german|deutsch|alemán|aleman|德语|德文|ドイツ語`,
};
const ANY_LANG = Object.values(LANG_WORDS).join('|');
const langOf = (word: string): Lang | undefined => (Object.keys(LANG_WORDS) as Lang[]).find((l) => new RegExp(`^(?:${LANG_WORDS[l]})$`, 'i').test(word));

/** The language the instruction asks for: `into English`, `翻译成英文`, or the first language it names. */
function targetLanguage(instruction: string): Lang | undefined {
  const asked =
    new RegExp(String.raw`\b(?:into|to|in)\s+(${ANY_LANG})(?![a-z])`, 'i').exec(instruction) ??
    new RegExp(String.raw`(?:成|为|為|到|に)\s*(${ANY_LANG})`, 'i').exec(instruction) ??
    new RegExp(String.raw`(${ANY_LANG})`, 'i').exec(instruction);
  return asked ? langOf(asked[1]!) : undefined;
}

/** English when no language is named (as the task's guidance says); Chinese when the text already is English. */
const resolveTarget = (named: Lang | undefined, source: Lang): Lang => named ?? (source === 'en' ? 'zh' : 'en');

const LINE_PREFIX = /^(\s*)(\/\/\/|\/\/|\/\*\*|\/\*|\*(?!\/)|#|--|;;|;|%|<!--|""")?(\s*)/;
const LINE_SUFFIX = /(\s*)(\*\/|-->|""")\s*$/;

interface LineTranslation {
  lines: string[];
  /** Prose the phrasebook did not know, one entry per line. */
  unknown: string[];
  /** Lines whose prose was translated. */
  known: number;
}

/** Translates the prose of each line, keeping indentation and comment markers; unknown prose stays as it is. */
function translateLines(text: string, named: Lang | undefined): LineTranslation {
  const out: LineTranslation = { lines: [], unknown: [], known: 0 };
  for (const line of text.split('\n')) {
    const pre = LINE_PREFIX.exec(line)!;
    let rest = line.slice(pre[0].length);
    const suf = LINE_SUFFIX.exec(rest);
    const suffix = suf ? rest.slice(suf.index) : '';
    if (suf) rest = rest.slice(0, suf.index);
    const prose = rest.trimEnd();
    if (!phraseKey(prose)) {
      out.lines.push(line);
      continue;
    }
    const hit = lookUp(prose);
    if (!hit) {
      out.unknown.push(prose);
      out.lines.push(line);
      continue;
    }
    out.known++;
    out.lines.push(`${pre[0]}${hit.entry[resolveTarget(named, hit.lang)][0]}${suffix}`);
  }
  return out;
}

/** Where the phrase to translate may be in a chat message: all of it, after a colon, in quotes, or around the instruction words. */
function chatCandidates(text: string): string[] {
  const t = text.trim();
  const out = [t];
  const colon = t.search(/[:：]/);
  if (colon >= 0) out.push(t.slice(colon + 1));
  for (const m of t.matchAll(/"([^"\n]+)"|“([^”\n]+)”|'([^'\n]+)'|‘([^’\n]+)’|「([^」\n]+)」/g)) out.push(m.slice(1).find((g) => g !== undefined)!);
  out.push(
    t
      .replace(/\b(?:please|can you|could you|translate|traduce|traducir|übersetze|übersetzen|this|the following|sentence|phrase|word)\b/gi, ' ')
      .replace(new RegExp(String.raw`\b(?:into|to|in|from)\s+(?:${ANY_LANG})(?![a-z])`, 'gi'), ' ')
      .replace(new RegExp(String.raw`(?:请|請)?(?:把|将)?(?:这句话|这句|这段话|这个)?(?:翻译|翻譯|译)(?:成|为|為|到)?(?:${ANY_LANG})?`, 'gi'), ' ')
      .replace(new RegExp(String.raw`(?:${ANY_LANG})に(?:翻訳|訳)(?:して(?:ください)?)?`, 'gi'), ' '),
  );
  return out;
}

const NO_TRANSLATION = 'The simulator has no translation for this: its phrasebook only knows a few demo phrases (你好, 谢谢, 早上好, hello world and the comment in example.ts).';

const blockQuote = (lines: string[]) => lines.map((l) => `> ${l.trim()}`).join('\n');

function translation(user: string): string {
  const fence = firstFence(user);
  if (fence) {
    const named = targetLanguage(fence.outside);
    const t = translateLines(fence.code, named);
    const block = fenced(t.lines.join('\n'), fence.lang);
    if (t.unknown.length === 0 && t.known > 0) return block;
    return `${NO_TRANSLATION}\n\n${blockQuote(t.unknown.length ? t.unknown : [fence.code || '(empty)'])}\n\n${block}`;
  }
  const candidates = chatCandidates(user);
  for (const c of candidates) {
    const hit = lookUp(c);
    if (!hit) continue;
    const instruction = user.replace(c.trim(), ' ');
    return hit.entry[resolveTarget(targetLanguage(instruction), hit.lang)][0]!;
  }
  // Several lines (a pasted comment without a fence): each line on its own.
  const body = candidates[1] ?? user;
  if (body.includes('\n')) {
    const t = translateLines(body.trim(), targetLanguage(user.replace(body, ' ')));
    if (t.unknown.length === 0 && t.known > 0) return t.lines.join('\n');
  }
  const quoted = (candidates[1] ?? user).trim().split('\n');
  return `${NO_TRANSLATION}\n\n${blockQuote(quoted.length && quoted[0] ? quoted : ['(empty)'])}`;
}

// ─── code review: a few real patterns, by line ──────────────────────────────────────────────────────────────

interface Finding {
  line: number;
  /** Lower is more important. */
  rank: number;
  text: string;
}

const JS_LIKE = /^(?:js|jsx|ts|tsx|mjs|cjs|mts|cts|javascript|typescript|javascriptreact|typescriptreact|vue|svelte)$/i;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A line without its string literals and `//` comment, so patterns only see code. */
const codeOnly = (line: string) =>
  line
    .replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, '""')
    .replace(/(^|[^:])\/\/.*$/, '$1')
    .replace(/\/\*.*?\*\//g, ' ');

/** Is there a check that `name` is empty anywhere in the code (`xs.length === 0`, `!xs.length`, …)? */
function hasEmptyCheck(code: string, name: string): boolean {
  const len = `${esc(name)}\\.length`;
  return new RegExp(
    [
      `${len}\\s*(?:===?|!==?|<=?|>=?)\\s*[01]\\b`,
      `\\b[01]\\s*(?:===?|!==?|<=?|>=?)\\s*${len}`,
      `!\\s*${len}`,
      `\\(\\s*${len}\\s*\\)`,
      `${len}\\s*(?:\\?|&&|\\|\\|)`,
    ].join('|'),
  ).test(code);
}

export function reviewFindings(code: string, lang: string): Finding[] {
  const jsLike = !lang || JS_LIKE.test(lang);
  const lines = code.split('\n').map(codeOnly);
  const all = lines.join('\n');
  const found: Finding[] = [];
  const add = (line: number, rank: number, text: string) => {
    if (!found.some((f) => f.line === line && f.rank === rank)) found.push({ line, rank, text });
  };
  lines.forEach((src, i) => {
    const n = i + 1;
    const loop = /\b(for|while)\b/.test(src) ? /([\w$]+)\s*<=\s*([\w$.]+?)\.length\b/.exec(src) : null;
    if (loop) {
      const [, v, arr] = loop;
      add(n, 1, `**line ${n}: off-by-one loop bound.** \`${v} <= ${arr}.length\` runs one step past the end: the last pass reads \`${arr}[${arr}.length]\`, which is \`undefined\`. **Fix:** loop while \`${v} < ${arr}.length\`.`);
    }
    for (const m of src.matchAll(/(?<![/*])\/(?![/*=])\s*([\w$.]+?)\.length\b/g)) {
      const arr = m[1]!;
      if (hasEmptyCheck(all, arr)) continue;
      add(n, 2, `**line ${n}: division by zero on an empty array.** Dividing by \`${arr}.length\` gives \`NaN\` (or \`Infinity\`) when \`${arr}\` is empty, and nothing checks for that. **Fix:** return early first, e.g. \`if (${arr}.length === 0) return 0;\`.`);
    }
    if (/\bcatch\s*(?:\([^)]*\))?\s*\{\s*\}/.test(src) || (/\bcatch\s*(?:\([^)]*\))?\s*\{\s*$/.test(src) && /^\s*\}/.test(lines[i + 1] ?? ''))) {
      add(n, 3, `**line ${n}: empty \`catch\` block.** The error is swallowed, so failures vanish without a trace. **Fix:** handle it, log it, or rethrow it; if ignoring it is intended, say why in a comment.`);
    }
    if (jsLike) {
      const loose = /(?<![=!<>])(==|!=)(?!=)/.exec(src);
      if (loose) {
        const strict = loose[1] === '==' ? '===' : '!==';
        add(n, 4, `**line ${n}: loose equality \`${loose[1]}\`.** It converts types before comparing (\`0 == ''\` is \`true\`). **Fix:** use \`${strict}\`.`);
      }
      if (/(?:^|[^\w$.])var\s+[\w$[{]/.test(src)) {
        add(n, 5, `**line ${n}: \`var\` declaration.** \`var\` is function-scoped and hoisted, which invites bugs in loops and closures. **Fix:** use \`const\`, or \`let\` when the variable is reassigned.`);
      }
      if (/\bconsole\.log\s*\(/.test(src)) {
        add(n, 6, `**line ${n}: leftover \`console.log\`.** Debug output ends up in users' consoles. **Fix:** remove it, or use a proper logger.`);
      }
    }
  });
  return found.sort((a, b) => a.rank - b.rank || a.line - b.line);
}

function codeReview(user: string): string {
  const fence = firstFence(user);
  const code = fence ? fence.code : user;
  const findings = reviewFindings(code, fence?.lang ?? '');
  const lineCount = code.split('\n').length;
  if (!findings.length) {
    return [
      `No bugs found in ${lineCount === 1 ? 'this line' : `these ${lineCount} lines`}. (The simulator checks loop bounds, division by \`.length\`, \`==\`, \`var\`, empty \`catch\` blocks and \`console.log\`.)`,
      '',
      '- Suggestion: add a unit test for the edge cases (empty input, a single element, very large values) so a later change cannot break them quietly.',
    ].join('\n');
  }
  const shown = findings.slice(0, 10);
  return [
    `${findings.length} finding${findings.length === 1 ? '' : 's'}, most important first:`,
    '',
    ...shown.map((f, i) => `${i + 1}. ${f.text}`),
    ...(findings.length > shown.length ? ['', `…and ${findings.length - shown.length} more of the same kinds.`] : []),
  ].join('\n');
}

/**
 * Review Changed Files asks for JSON findings about a file shown with numbered lines (after the diff):
 * the same patterns as the chat's review, in that shape.
 */
export function structuredReview(user: string): string {
  const fences = [...user.matchAll(/(^|\n)(`{3,})([^\n`]*)\n([\s\S]*?)\n\2[ \t]*(?=\n|$)/g)];
  const file = fences.at(-1);
  const code = (file?.[4] ?? '').split('\n').map((l) => l.replace(/^\d+\| ?/, '')).join('\n');
  const findings = reviewFindings(code, file?.[3]?.trim() ?? '').map((f) => ({
    line: f.line,
    severity: f.rank <= 2 ? 'error' : f.rank <= 4 ? 'warning' : 'info',
    message: f.text.replace(/\*\*/g, '').replace(/^line \d+: (.)/, (_, c: string) => c.toUpperCase()),
  }));
  return JSON.stringify({ findings });
}

// ─── math: quadratics and arithmetic ────────────────────────────────────────────────────────────────────────

/** Unicode maths in ASCII: `x²` → `x^2`, `−` → `-`, `×` → `*`, full-width digits and signs → ASCII. */
function normalizeMath(text: string): string {
  return text
    .replace(/²/g, '^2')
    .replace(/³/g, '^3')
    .normalize('NFKC')
    .replace(/[−–—]/g, '-')
    .replace(/[×·⋅]/g, '*')
    .replace(/÷/g, '/')
    .replace(/X/g, 'x');
}

export interface Quadratic {
  a: number;
  b: number;
  c: number;
}

/** One side of an equation as [c, b, a] (constant, x, x²): terms like `-5x`, `2*x^2`, `6`; undefined otherwise. */
function polynomialSide(side: string): [number, number, number] | undefined {
  const src = side.replace(/\s+/g, '');
  if (!src) return undefined;
  const term = /([+-]?)(\d+(?:\.\d+)?)?(\*?x(?:\^([012]))?)?/y;
  const coef: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < src.length; ) {
    term.lastIndex = i;
    const m = term.exec(src)!;
    const [, sign, num, x, power] = m;
    if (!m[0] || (i > 0 && !sign) || (num === undefined && x === undefined) || (num === undefined && x?.startsWith('*'))) return undefined;
    const degree = x === undefined ? 0 : power === undefined ? 1 : Number(power);
    coef[degree as 0 | 1 | 2] += (sign === '-' ? -1 : 1) * (num !== undefined ? Number(num) : 1);
    i = term.lastIndex;
  }
  return coef;
}

/** The sides of the first `… = …` in the text that are polynomials in x of degree 2: as a·x² + b·x + c = 0. */
export function findQuadratic(text: string): Quadratic | undefined {
  const t = normalizeMath(text).replace(/\*\*/g, '^');
  const MATH = /[\d.x+\-*^ \t]/;
  for (let eq = t.indexOf('='); eq >= 0; eq = t.indexOf('=', eq + 1)) {
    let from = eq;
    while (from > 0 && MATH.test(t[from - 1]!)) from--;
    let to = eq + 1;
    while (to < t.length && MATH.test(t[to]!)) to++;
    // The longest left side and right side that parse, dropping words glued on at either end (`max x^2`).
    const left = t.slice(from, eq);
    const right = t.slice(eq + 1, to);
    const starts = [0, ...Array.from(left.matchAll(/\s+/g), (m) => m.index + m[0].length)];
    const ends = [right.length, ...Array.from(right.matchAll(/\s+/g), (m) => m.index).reverse()];
    const l = starts.map((k) => polynomialSide(left.slice(k))).find(Boolean);
    const r = ends.map((k) => polynomialSide(right.slice(0, k))).find(Boolean);
    if (!l || !r) continue;
    const q = { a: l[2] - r[2], b: l[1] - r[1], c: l[0] - r[0] };
    if (q.a !== 0 && (/\^\s*2/.test(left) || /\^\s*2/.test(right))) return q;
  }
  return undefined;
}

const signed = (n: number) => (n < 0 ? ` - ${formatNumber(-n)}` : ` + ${formatNumber(n)}`);
const paren = (n: number) => (n < 0 ? `(${formatNumber(n)})` : formatNumber(n));

function polynomial({ a, b, c }: Quadratic): string {
  const lead = a === 1 ? '' : a === -1 ? '-' : formatNumber(a);
  const bx = b === 0 ? '' : b === 1 ? ' + x' : b === -1 ? ' - x' : `${signed(b)}x`;
  return `${lead}x²${bx}${c === 0 ? '' : signed(c)} = 0`;
}

function solveQuadratic(q: Quadratic): string[] {
  const { a, b, c } = q;
  const d = b * b - 4 * a * c;
  const steps = [
    `Write it as a·x² + b·x + c = 0: ${polynomial(q)}, so a = ${formatNumber(a)}, b = ${formatNumber(b)}, c = ${formatNumber(c)}.`,
    `Discriminant: Δ = b² - 4ac = ${paren(b)}² - 4·${paren(a)}·${paren(c)} = ${formatNumber(d)}.`,
  ];
  const approx = (n: number) => `${shownExactly(n) ? '=' : '≈'} ${formatNumber(n)}`;
  if (d > 0) {
    const s = Math.sqrt(d);
    const roots = [(-b - s) / (2 * a), (-b + s) / (2 * a)].sort((x, y) => x - y) as [number, number];
    steps.push(
      `Δ > 0, so there are two real roots: x = (-b ± √Δ) / 2a = (${formatNumber(-b)} ± ${shownExactly(s) ? formatNumber(s) : `√${formatNumber(d)}`}) / ${formatNumber(2 * a)}.`,
    );
    const check = (r: number) =>
      `x = ${formatNumber(r)}: ${formatNumber(a * r * r)}${b === 0 ? '' : signed(b * r)}${c === 0 ? '' : signed(c)} = ${formatNumber(a * r * r + b * r + c)}`;
    if (roots.every(shownExactly)) steps.push(`Check by putting each root back in: ${roots.map(check).join('; ')}.`);
    return [...steps, `**Answer:** x ${approx(roots[0])} or x ${approx(roots[1])}`];
  }
  if (d === 0) {
    const r = -b / (2 * a);
    steps.push(`Δ = 0, so there is one (double) root: x = -b / 2a = ${formatNumber(-b)} / ${formatNumber(2 * a)}.`);
    return [...steps, `**Answer:** x ${approx(r)}`];
  }
  const re = -b / (2 * a);
  const im = Math.abs(Math.sqrt(-d) / (2 * a));
  const roots = `${re === 0 ? '±' : `${formatNumber(re)} ± `}${im === 1 ? '' : formatNumber(im)}i`;
  const exact = shownExactly(re) && shownExactly(im);
  steps.push(`Δ < 0, so there is no real root; the complex roots are x = (-b ± i√|Δ|) / 2a ${exact ? '=' : '≈'} ${roots}.`);
  return [...steps, `**Answer:** no real solution (x ${exact ? '=' : '≈'} ${roots})`];
}

type Expr = { kind: 'num'; value: number } | { kind: 'neg'; arg: Expr } | { kind: 'bin'; op: string; left: Expr; right: Expr; grouped: boolean };

/** Numbers, + - * / ^ ** and parentheses; undefined for anything else. */
function tokenize(src: string): string[] | undefined {
  const tokens: string[] = [];
  const re = /\s*(\d+(?:\.\d+)?|\.\d+|\*\*|[-+*/^()])/y;
  let i = 0;
  while (i < src.length) {
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) return /^\s*$/.test(src.slice(i)) ? tokens : undefined;
    tokens.push(m[1] === '**' ? '^' : m[1]!);
    i = re.lastIndex;
  }
  return tokens;
}

/** A recursive-descent parser: expr = term (± term)*, term = unary (*|/ unary)*, unary = -unary | power, power = atom (^ unary)?. */
export function parseArithmetic(src: string): Expr | undefined {
  const tokens = tokenize(src);
  if (!tokens?.length || tokens.length > 200) return undefined;
  let pos = 0;
  let depth = 0;
  const peek = () => tokens[pos];
  const fail = (): never => {
    throw new SyntaxError('not arithmetic');
  };
  const expr = (): Expr => {
    if (++depth > 60) fail();
    let left = term();
    while (peek() === '+' || peek() === '-') left = { kind: 'bin', op: tokens[pos++]!, left, right: term(), grouped: false };
    depth--;
    return left;
  };
  const term = (): Expr => {
    let left = unary();
    while (peek() === '*' || peek() === '/') left = { kind: 'bin', op: tokens[pos++]!, left, right: unary(), grouped: false };
    return left;
  };
  const unary = (): Expr => {
    if (++depth > 60) fail();
    let e: Expr;
    if (peek() === '-') {
      pos++;
      e = { kind: 'neg', arg: unary() };
    } else if (peek() === '+') {
      pos++;
      e = unary();
    } else e = power();
    depth--;
    return e;
  };
  const power = (): Expr => {
    const base = atom();
    if (peek() !== '^') return base;
    pos++;
    return { kind: 'bin', op: '^', left: base, right: unary(), grouped: false };
  };
  const atom = (): Expr => {
    const t = tokens[pos++];
    if (t === undefined) return fail();
    if (t === '(') {
      const inner = expr();
      if (tokens[pos++] !== ')') fail();
      return inner.kind === 'bin' ? { ...inner, grouped: true } : inner;
    }
    if (/^[\d.]/.test(t)) return { kind: 'num', value: Number(t) };
    return fail();
  };
  try {
    const e = expr();
    return pos === tokens.length ? e : undefined;
  } catch {
    return undefined;
  }
}

const operations = (e: Expr): number => (e.kind === 'num' ? 0 : e.kind === 'neg' ? operations(e.arg) : 1 + operations(e.left) + operations(e.right));

/** The value, and one step per operation in the order they are worked out. */
export function evaluate(e: Expr, steps: string[] = []): number {
  if (e.kind === 'num') return e.value;
  if (e.kind === 'neg') return -evaluate(e.arg, steps);
  const l = evaluate(e.left, steps);
  const r = evaluate(e.right, steps);
  let v: number;
  switch (e.op) {
    case '+':
      v = l + r;
      break;
    case '-':
      v = l - r;
      break;
    case '*':
      v = l * r;
      break;
    case '/':
      if (r === 0) throw new RangeError(`${formatNumber(l)} / 0 is undefined (division by zero)`);
      v = l / r;
      break;
    default:
      v = l ** r;
  }
  if (!Number.isFinite(v)) throw new RangeError(`${formatNumber(l)} ${e.op} ${formatNumber(r)} is too large for the simulator`);
  const shown = formatNumber(v);
  steps.push(`${e.grouped ? 'Brackets first: ' : ''}${formatNumber(l)} ${e.op} ${paren(r)} ${shownExactly(v) ? '=' : '≈'} ${shown}.`);
  return v;
}

/** The arithmetic expression in the text with the most operations (ties: the first). */
export function findArithmetic(text: string): { source: string; expr: Expr } | undefined {
  let best: { source: string; expr: Expr; ops: number } | undefined;
  for (const m of normalizeMath(text).matchAll(/[\d.+\-*/^()\s]+/g)) {
    const source = m[0].trim().replace(/[.\s]+$/, '').replace(/\s+/g, ' ');
    if (!/\d/.test(source) || source.length > 400) continue;
    const expr = parseArithmetic(source);
    const ops = expr ? operations(expr) : 0;
    if (expr && ops > 0 && ops > (best?.ops ?? 0)) best = { source, expr, ops };
  }
  return best && { source: best.source, expr: best.expr };
}

function mathReasoning(user: string): string {
  const quadratic = findQuadratic(user);
  let lines: string[];
  const normalized = normalizeMath(user);
  const equation = /=/.test(normalized) && /(?:^|[^a-z])x(?:[^a-z]|$)/.test(normalized);
  const arithmetic = quadratic || equation ? undefined : findArithmetic(user);
  if (quadratic) lines = solveQuadratic(quadratic);
  else if (arithmetic) {
    const steps: string[] = [];
    let answer: string;
    try {
      const v = evaluate(arithmetic.expr, steps);
      answer = `**Answer:** ${shownExactly(v) ? '' : '≈ '}${formatNumber(v)}`;
    } catch (err) {
      steps.push(`${(err as Error).message}.`);
      answer = '**Answer:** undefined';
    }
    const shown = steps.length > 10 ? [...steps.slice(0, 9), `…${steps.length - 9} more operations, worked out the same way.`] : steps;
    lines = [`Read the expression: \`${arithmetic.source}\` (brackets first, then powers, then * and /, then + and -).`, ...shown, answer];
  } else {
    lines = [
      'The simulator only solves quadratic equations such as `x^2 - 5x + 6 = 0` and plain arithmetic such as `12 * (3 + 4)`.',
      `It found neither in: _${asked(user, 'the question')}_.`,
      'Write the problem in one of those forms, or ask a real model through a gateway key.',
      '**Answer:** not worked out (outside what the simulator can solve)',
    ];
  }
  const answer = lines.at(-1)!;
  return [...lines.slice(0, -1).map((s, i) => `${i + 1}. ${s}`), '', answer].join('\n');
}

// ─── summarization ──────────────────────────────────────────────────────────────────────────────────────────

const SUMMARY_WORDS = /summar|tl;?dr|key points|main points|recap|bullet|总结|概括|摘要|要点|归纳|まとめ|要約/i;

/** The text to summarise: a fenced block, or the words after an instruction such as `Summarize this:`. */
function summarySource(user: string): string {
  const fence = firstFence(user);
  if (fence?.code.trim()) return fence.code;
  const t = user.trim();
  const nl = t.indexOf('\n');
  const firstLine = nl >= 0 ? t.slice(0, nl) : t;
  const colon = firstLine.search(/[:：]/);
  if (colon >= 0 && colon < 120 && SUMMARY_WORDS.test(firstLine.slice(0, colon))) return t.slice(colon + 1);
  if (nl >= 0 && firstLine.length < 150 && (SUMMARY_WORDS.test(firstLine) || /[:：]\s*$/.test(firstLine))) return t.slice(nl + 1);
  return t;
}

/** Up to three first sentences, each at most 20 words (or 60 characters of unspaced text). */
export function summaryBullets(user: string): string[] {
  const sentences = summarySource(user)
    .split(/\n+/)
    .map((l) => l.replace(/^\s*(?:[-*+•]|\d+[.)]|#+)\s+/, '').trim())
    .filter(Boolean)
    .flatMap((l) => l.split(/(?<=[.!?])\s+(?=\S)|(?<=[。！？])/))
    .map((s) => s.trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s));
  return sentences.slice(0, 3).map((s) => {
    const words = s.split(/\s+/);
    if (words.length > 20) return `${words.slice(0, 20).join(' ').replace(/[,;:]$/, '')}…`;
    return words.length === 1 && Array.from(s).length > 60 ? `${Array.from(s).slice(0, 60).join('')}…` : s;
  });
}

function summarization(user: string): string {
  const bullets = summaryBullets(user);
  return (bullets.length ? bullets : ['(there was no text to summarise)']).map((b) => `- ${b}`).join('\n');
}

// ─── data analysis: CSV statistics ──────────────────────────────────────────────────────────────────────────

/** One CSV line: commas split fields, double quotes protect them (`""` is a quote). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch !== '"') cur += ch;
      else if (line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

export interface Csv {
  header: string[];
  rows: string[][];
}

/** The first run of comma-separated lines with the same number of fields: a header and at least one row. */
export function findCsv(text: string): Csv | undefined {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  for (let i = 0; i + 1 < lines.length; i++) {
    const head = lines[i]!;
    if (!head.includes(',') || /[:：]\s*$/.test(head)) continue;
    const header = splitCsv(head);
    if (header.some((h) => !h || h.length > 60)) continue;
    const rows: string[][] = [];
    for (let j = i + 1; j < lines.length; j++) {
      if (!lines[j]!.includes(',')) break;
      const row = splitCsv(lines[j]!);
      if (row.length !== header.length) break;
      rows.push(row);
    }
    if (rows.length) return { header, rows };
  }
  return undefined;
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

function dataAnalysis(user: string): string {
  const fence = firstFence(user);
  const csv = findCsv(fence?.code ?? '') ?? findCsv(user);
  if (!csv) {
    return 'There is no table to work from here. Paste the data as CSV (a header line, then one row per line, values separated by commas) and the simulator will count the rows and give the min, mean and max of every numeric column.';
  }
  const { header, rows } = csv;
  const numeric: string[] = [];
  const other: string[] = [];
  const table: string[] = [];
  let skipped = 0;
  header.forEach((name, col) => {
    const values = rows.map((r) => r[col]!).filter((v) => v !== '');
    if (!values.length || !values.every((v) => NUMERIC.test(v))) {
      other.push(name);
      return;
    }
    skipped += rows.length - values.length;
    const nums = values.map(Number);
    const mean = nums.reduce((s, x) => s + x, 0) / nums.length;
    numeric.push(name);
    table.push(`| ${name.replace(/\|/g, '\\|')} | ${formatNumber(Math.min(...nums))} | ${formatNumber(mean)} | ${formatNumber(Math.max(...nums))} |`);
  });
  const code = (names: string[]) => names.map((n) => `\`${n.replace(/`/g, "'")}\``).join(', ');
  const out = [`${rows.length} row${rows.length === 1 ? '' : 's'} × ${header.length} columns: ${code(header)}.`, ''];
  if (table.length) out.push('| Column | Min | Mean | Max |', '| --- | ---: | ---: | ---: |', ...table, '');
  else out.push('No column is numeric, so there is nothing to average.', '');
  const notes = [];
  if (other.length && table.length) notes.push(`Not numeric: ${code(other)}.`);
  if (skipped) notes.push(`${skipped} empty cell${skipped === 1 ? ' was' : 's were'} left out.`);
  notes.push(`These ${rows.length} rows describe themselves only: they cannot tell why the values differ or what happens beyond them.`);
  out.push(notes.join(' '));
  return out.join('\n');
}

// ─── code generation and general questions ──────────────────────────────────────────────────────────────────

function codeGeneration(model: string, user: string): string {
  const instruction = user.replace(/^\s*Generate code for this instruction:\s*/, '');
  return [
    `You asked: _${asked(instruction)}_`,
    '',
    'Here is a version that handles the edge cases:',
    '',
    '```ts',
    'export function average(xs: number[]): number {',
    '  if (xs.length === 0) return 0;',
    '  return xs.reduce((sum, x) => sum + x, 0) / xs.length;',
    '}',
    '```',
    '',
    'What changed:',
    '',
    '- The loop no longer runs one step too far: `i <= xs.length` read `xs[xs.length]`, which is `undefined`.',
    '- An empty array returns `0`, as the comment promises, instead of dividing by zero (`NaN`).',
    '',
    `That is all from ${model}. Try **Stop** on a long answer, or the model picker to ask another model.`,
  ].join('\n');
}

/** What a selection looks like, in one sentence: its size, language, the names it defines, loops and returns. */
function describeCode(code: string, lang: string): string {
  const names = Array.from(
    code.matchAll(/\bfunction\s*\*?\s*([\w$]+)|\bclass\s+([\w$]+)|\bdef\s+(\w+)|\b(?:const|let|var)\s+([\w$]+)\s*=\s*(?:async\s*)?(?:\([^)]*\)|[\w$]+)\s*=>/g),
    (m) => m.slice(1).find((g) => g !== undefined)!,
  );
  const unique = [...new Set(names)].slice(0, 4);
  const parts = [
    unique.length ? `defines ${unique.map((n) => `\`${n}\``).join(', ')}` : '',
    /\b(for|while)\b|\.(forEach|map|reduce|filter)\(/.test(code) ? 'loops over its input' : '',
    /\breturn\b/.test(code) ? 'returns a result' : '',
  ].filter(Boolean);
  const n = code.split('\n').length;
  const what = parts.length ? `; it ${parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0]}` : '';
  return `The selection is ${n} line${n === 1 ? '' : 's'}${lang ? ` of ${lang}` : ''}${what}.`;
}

function generalQa(model: string, user: string): string {
  const fence = firstFence(user);
  const direct = fence
    ? `${describeCode(fence.code, fence.lang)} That is as far as the simulator reads code; a real model would walk through it step by step.`
    : `You asked: _${asked(user)}_${/[.?!。？！…]$/.test(asked(user)) ? '' : '.'} The simulator cannot really answer that, but the routing is real: Switchboard read this as a ${TASK_LABELS.general_qa} request and sent it to ${model}, which is answering now.`;
  return [
    direct,
    '',
    `- Ask for a haiku, a translation, \`x^2 - 5x + 6 = 0\` or a code review to see other tasks take their own routes.`,
    `- Use the model picker to ask another model than ${model}, or **Stop** to cut a long answer short.`,
  ].join('\n');
}

// ─── the answer ─────────────────────────────────────────────────────────────────────────────────────────────

/** The demo's answer to a chat completion request: the model in bold, then an answer in the routed task's shape. */
export function demoAnswer(model: string, body: DemoBody): string {
  const task = taskOf(body);
  const user = userText(body);
  if (task === 'code_review' && user.includes(STRUCTURED_REVIEW)) return structuredReview(user);
  let answer: string;
  switch (task) {
    case 'creative_writing':
      // Two trailing spaces: a Markdown line break, so the three lines stay three lines.
      answer = haiku(user).join('  \n');
      break;
    case 'translation':
      answer = translation(user);
      break;
    case 'code_review':
      answer = codeReview(user);
      break;
    case 'math_reasoning':
      answer = mathReasoning(user);
      break;
    case 'summarization':
      answer = summarization(user);
      break;
    case 'data_analysis':
      answer = dataAnalysis(user);
      break;
    case 'code_generation':
      answer = codeGeneration(model, user);
      break;
    default:
      answer = generalQa(model, user);
  }
  return `**${model}** (simulated) · ${TASK_LABELS[task]}\n\n${answer}`;
}
