/** How each simulated model behaves: timing, text and faults. Deterministic: the same input gives the same output. */

export interface ModelScript {
  /** The answer; default: `defaultText(model, body)`, which begins with `[MODEL] `. */
  text?: string;
  /** Length of the default text in words (default 40). */
  words?: number;
  /** Wait before writing the status line and headers. */
  headersDelayMs?: number;
  /** Wait after the headers before the first content chunk. */
  ttftMs?: number;
  /** Pacing of content chunks; 0 or undefined = as fast as possible (still separate writes). */
  tokensPerSecond?: number;
  /** Characters per chunk; default one word (with its following space) per chunk. */
  chunkChars?: number;
  /** Default 'stop'; null = never send a finish_reason. */
  finishReason?: string | null;
  /** End the response without `data: [DONE]`. */
  omitDone?: boolean;
  /** Never send usage, even when asked. */
  omitUsage?: boolean;
  /** Usage in the finish chunk instead of a separate chunk with empty choices. */
  usageInFinishChunk?: boolean;
  /** First chunk has `choices: []` (like Azure's prompt_filter_results chunk). */
  emptyChoicesFirst?: boolean;
  /** `data:{…}` without the space. */
  noSpaceAfterData?: boolean;
  /** While waiting (after headers), write `: keep-alive` comments every N ms. */
  keepAliveMs?: number;
  keepAliveText?: string;
  /** Answer 400 when the request carries `stream_options` (a gateway that does not accept it). */
  rejectStreamOptions?: boolean;
  fault?: Fault;
}

export type Fault =
  /** Any status, any body (strings verbatim, objects as JSON), any headers. */
  | { type: 'status'; status: number; body?: string | object; headers?: Record<string, string>; delayMs?: number }
  /** Accept the connection and never send anything. */
  | { type: 'hang' }
  /** Send 200 and SSE headers, then nothing (keep-alives if keepAliveMs). */
  | { type: 'hang-after-headers' }
  /** Send N content chunks, then nothing more; the connection stays open. */
  | { type: 'stall'; afterChunks: number }
  /** Send N content chunks, then destroy the socket. */
  | { type: 'cut'; afterChunks: number }
  /** After N chunks, an error inside the 200 stream (`data: {"error":…}`, or `event: error`), then end. */
  | { type: 'stream-error'; afterChunks: number; payload?: object; asEvent?: boolean; finishReason?: string }
  /** After N chunks, a line that is not JSON; then end, or continue normally. */
  | { type: 'malformed'; afterChunks: number; line?: string; thenContinue?: boolean }
  /** Serve this body verbatim (recorded fixtures), in pieces of splitBytes bytes, delayMs apart. */
  | { type: 'raw'; status?: number; headers?: Record<string, string>; body: string | Buffer; splitBytes?: number; delayMs?: number };

const WORDS = [
  'routing', 'tokens', 'stream', 'gateway', 'fallback', 'latency', 'answer', 'model', 'request', 'chunk',
  'review', 'function', 'value', 'editor', 'cursor', 'switch', 'signal', 'buffer', 'result', 'context',
];

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The default answer: begins with `[MODEL] `, names the model, and depends only on the model and the last message. */
export function defaultText(model: string, body: { messages?: Array<{ content?: unknown }> }, words = 40): string {
  const last = body.messages?.at(-1)?.content;
  let seed = hash(`${model}\u0000${typeof last === 'string' ? last : JSON.stringify(last ?? '')}`);
  const out = [`[${model}]`, 'Hello', 'from', `${model}.`];
  while (out.length < words) {
    seed = Math.imul(seed ^ (seed >>> 15), 2246822507) >>> 0;
    out.push(WORDS[seed % WORDS.length]!);
  }
  return `${out.slice(0, Math.max(words, 4)).join(' ')}.`;
}

/** Splits text into chunks: words with their following whitespace, or fixed character counts. */
export function chunkText(text: string, chunkChars?: number): string[] {
  if (!text) return [];
  if (chunkChars && chunkChars > 0) {
    const chars = Array.from(text);
    const out: string[] = [];
    for (let i = 0; i < chars.length; i += chunkChars) out.push(chars.slice(i, i + chunkChars).join(''));
    return out;
  }
  return text.match(/\S+\s*|\s+/g) ?? [text];
}
