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
  /** Reasoning streamed before the answer, in `reasoning_content` deltas (or `reasoning`, as Groq sends it). */
  reasoning?: string;
  reasoningField?: 'reasoning_content' | 'reasoning';
  /** Tool calls streamed after the text (arguments in small pieces), ending with finish_reason tool_calls. */
  toolCalls?: ScriptedToolCall[];
  /**
   * Behave like a tool-calling model (see `agentReply`): when the request offers tools and the question
   * names a file, call read_file; once tool results come back, answer from them.
   */
  agent?: boolean;
  /**
   * The model allows this many requests per window (counted per model, whatever the script); beyond it
   * it answers 429 with Retry-After until the oldest request leaves the window, as provider limits do.
   */
  rateLimit?: { requests: number; windowMs: number };
  fault?: Fault;
}

export interface ScriptedToolCall {
  id?: string;
  name: string;
  /** An object is sent as JSON; a string verbatim (so a test can send arguments that are not JSON). */
  arguments: string | object;
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

interface AgentBody {
  tools?: Array<{ function?: { name?: string } }>;
  tool_choice?: unknown;
  messages?: Array<{ role?: string; content?: unknown; name?: string; tool_call_id?: string; tool_calls?: Array<{ id?: string; function?: { name?: string } }> }>;
}

/** A file name in the question: `src/app.ts`, `example.ts`, `.env`. */
const FILE = /(?:^|[\s`'"(])((?:[\w.-]+\/)*(?:[\w-]+\.(?:ts|tsx|js|jsx|mjs|cjs|py|go|rs|java|kt|c|h|cpp|cs|rb|php|swift|md|txt|json|ya?ml|toml|css|scss|html|sh|sql|csv|xml|ini|cfg)|\.env[\w.]*))(?=$|[\s`'"),?:!]|\.(?:\s|$))/;

/**
 * A deterministic tool-calling model. With tools offered and allowed: a question naming a file calls
 * read_file for it; one asking about changes calls git_diff; one asking about the selection calls
 * get_selection. When the last messages are tool results, it answers from them: each tool's name, its
 * first line, and how many lines it returned. Otherwise it has no opinion (undefined).
 */
export function agentReply(model: string, body: AgentBody): { text: string; toolCalls?: ScriptedToolCall[] } | undefined {
  const messages = body.messages ?? [];
  const lastMessage = messages.at(-1);
  if (lastMessage?.role === 'tool') {
    const results: string[] = [];
    for (let i = messages.length - 1; i >= 0 && messages[i]!.role === 'tool'; i--) {
      const m = messages[i]!;
      const call = messages.flatMap((x) => x.tool_calls ?? []).find((c) => c.id === m.tool_call_id);
      const content = typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '');
      const lines = content.split('\n');
      const first = lines.find((l) => l.trim())?.trim().slice(0, 120) ?? '';
      results.unshift(`- \`${call?.function?.name ?? 'tool'}\` returned ${lines.length} lines, starting: \`${first.replace(/`/g, "'")}\``);
    }
    return { text: `[${model}] From the tools:\n\n${results.join('\n')}\n` };
  }
  const offered = new Set((body.tools ?? []).map((t) => t.function?.name));
  if (offered.size === 0 || body.tool_choice === 'none' || lastMessage?.role !== 'user') return undefined;
  const question = typeof lastMessage.content === 'string' ? lastMessage.content : '';
  const file = FILE.exec(question)?.[1];
  if (file && offered.has('read_file')) return { text: `Reading ${file}.`, toolCalls: [{ name: 'read_file', arguments: { path: file } }] };
  if (/\b(diff|changes|changed)\b/i.test(question) && offered.has('git_diff')) return { text: '', toolCalls: [{ name: 'git_diff', arguments: {} }] };
  if (/\bselect(ion|ed)\b/i.test(question) && offered.has('get_selection')) return { text: '', toolCalls: [{ name: 'get_selection', arguments: {} }] };
  return undefined;
}
