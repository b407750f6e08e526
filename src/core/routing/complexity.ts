/**
 * How hard a request looks, from what is visible before it is sent: the length of the user's words,
 * the code that comes with them, words that ask for reasoning, several steps, and the task. Cost modes
 * use it to decide when a cheaper model is good enough. Deliberately simple and explainable: every
 * point of the score has a reason the user can read.
 */
import type { TaskType } from '../tasks';

export type Complexity = 'simple' | 'moderate' | 'complex';

export interface ComplexityEstimate {
  level: Complexity;
  score: number;
  /** The strongest reason, as the user reads it: `short question`, `asks for a proof`, `large code`. */
  reason: string;
  reasons: string[];
}

export interface ComplexityInput {
  task: TaskType;
  /** The user's words (fenced code inside is counted as code, not words). */
  text: string;
  /** Code or data attached beside the words: a selection, a file. */
  code?: string;
  /** Earlier turns sent with the request. */
  historyTurns?: number;
}

/** Up to and including this score a request is simple; above COMPLEX_ABOVE it is complex. */
export const SIMPLE_UP_TO = 0;
export const COMPLEX_ABOVE = 1.5;

const FENCED = /```[^\n]*\n[\s\S]*?(?:```|$)/g;

/** Words that ask for reasoning rather than recall, in the languages the classifier knows. */
const REASONING =
  /\b(prove|proof|derive|derivation|step[- ]by[- ]step|trade-?offs?|architect\w*|design(?:ing)? (?:a|an|the)|optimi[sz]\w*|edge cases?|race conditions?|concurren\w*|deadlock|invariant|complexity|scal(?:e|ing|able)|security|threat model|why does|why is|root cause|demuestra|demostración|por qué|beweis\w*|herleit\w*|warum)\b|证明|推导|为什么|架构|设计一个|优化|并发|复杂度|根本原因|証明|導出|なぜ|設計|最適化|並行/i;
const STEPS = /\b(first\b[\s\S]{0,200}\bthen|and then|after that|step \d|finally)\b|首先[\s\S]{0,100}然后|然后再|最后|まず[\s\S]{0,100}次に/i;
const LIST_ITEM = /^\s*(?:\d+[.)]|[-*•])\s+\S/gm;

/** The weight of each task before anything else is seen: some kinds of work are harder by nature. */
const TASK_BASE: Record<TaskType, number> = {
  math_reasoning: 1,
  code_generation: 0.5,
  code_review: 0.5,
  data_analysis: 0.5,
  creative_writing: 0,
  general_qa: 0,
  summarization: -0.5,
  translation: -0.5,
};

const CJK = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]/g;

/** Length in Latin-letter equivalents: a Chinese or Japanese character carries about a word. */
function weightedLength(text: string): number {
  return text.length + 2 * (text.match(CJK)?.length ?? 0);
}

/** Estimates how hard a request is; pure and instant. */
export function estimateComplexity(input: ComplexityInput): ComplexityEstimate {
  const fenced = Array.from(input.text.matchAll(FENCED), (m) => m[0]).join('\n');
  const words = input.text.replace(FENCED, ' ').trim();
  const length = weightedLength(words);
  const codeChars = fenced.length + (input.code?.length ?? 0);
  const reasoning = REASONING.test(words);
  const parts: Array<[number, string]> = [];

  if (TASK_BASE[input.task] !== 0) parts.push([TASK_BASE[input.task], input.task === 'math_reasoning' ? 'a math problem' : TASK_BASE[input.task] > 0 ? 'code work' : 'a bounded task']);
  // A short message that asks for a proof or a design is not a short question.
  if (length < 120 && codeChars === 0 && !reasoning) parts.push([-1, 'short question']);
  else if (length < 120 && !reasoning) parts.push([-0.5, 'short request']);
  else if (length > 800) parts.push([1, 'long message']);
  if (codeChars > 6000) parts.push([2, 'large code']);
  else if (codeChars > 1500) parts.push([1, 'sizeable code']);
  if (reasoning) parts.push([1.5, 'asks for reasoning']);
  if (STEPS.test(words) || (words.match(LIST_ITEM)?.length ?? 0) >= 3) parts.push([1, 'several steps']);
  if ((input.historyTurns ?? 0) > 6) parts.push([0.5, 'long conversation']);

  const score = parts.reduce((s, [w]) => s + w, 0);
  const level: Complexity = score <= SIMPLE_UP_TO ? 'simple' : score > COMPLEX_ABOVE ? 'complex' : 'moderate';
  // The reason shown is the part that pushed hardest in the direction of the verdict.
  const sorted = [...parts].sort((a, b) => (level === 'simple' ? a[0] - b[0] : b[0] - a[0]));
  const reason = sorted[0]?.[1] ?? 'an ordinary request';
  return { level, score, reason, reasons: parts.map(([, r]) => r) };
}
