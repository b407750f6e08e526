/**
 * VS Code's language model messages (what another extension passes to `sendRequest`) as chat-completions
 * messages, and back. Pure and duck-typed over the parts' fields, so it runs without `vscode`:
 * - a text part has `value: string`;
 * - a tool call part has `callId`, `name` and `input` (an object);
 * - a tool result part has `callId` and `content` (text parts, or data parts with a `mimeType`).
 * A user message carries tool results, an assistant message the tool calls (as VS Code's API documents).
 */
import type { ChatMessage } from '../tasks';
import type { ToolCall } from '../tools/assemble';

/** VS Code's LanguageModelChatMessageRole: User 1, Assistant 2 (System 3 is a proposal some hosts send). */
export const ROLE = { user: 1, assistant: 2, system: 3 } as const;

export interface LmMessage {
  readonly role: number;
  readonly content: ReadonlyArray<unknown>;
}

interface TextLike {
  value: string;
}
interface CallLike {
  callId: string;
  name: string;
  input: unknown;
}
interface ResultLike {
  callId: string;
  content: ReadonlyArray<unknown>;
}
interface DataLike {
  mimeType: string;
  data: Uint8Array;
}

const isObject = (p: unknown): p is Record<string, unknown> => typeof p === 'object' && p !== null;
const isText = (p: unknown): p is TextLike => isObject(p) && typeof p.value === 'string' && !('callId' in p);
const isCall = (p: unknown): p is CallLike => isObject(p) && typeof p.callId === 'string' && typeof p.name === 'string' && 'input' in p;
const isResult = (p: unknown): p is ResultLike => isObject(p) && typeof p.callId === 'string' && Array.isArray(p.content);
const isData = (p: unknown): p is DataLike => isObject(p) && typeof p.mimeType === 'string' && p.data instanceof Uint8Array;

const TEXTUAL = /^(text\/|application\/(json|xml|x-ndjson|yaml|javascript|typescript)\b)|\+json$|\+xml$/;

/** The text a part stands for; a data part that is not text (an image) is named instead of sent. */
function partText(p: unknown): string {
  if (isText(p)) return p.value;
  if (isData(p)) return TEXTUAL.test(p.mimeType) ? new TextDecoder().decode(p.data) : `[${p.mimeType} content omitted: this model is given text only]`;
  // A prompt-tsx part, or a part from a newer VS Code: its value when it has a textual one.
  if (isObject(p) && 'value' in p) return typeof p.value === 'string' ? p.value : JSON.stringify(p.value) ?? '';
  return '';
}

/** The text of a tool result's content, as the `tool` message sends it. */
function resultText(r: ResultLike): string {
  return r.content.map(partText).join('');
}

/** Chat-completions messages for VS Code's: tool results become `tool` messages before the user's words. */
export function toChatMessages(messages: readonly LmMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    const text = m.content.filter((p) => !isCall(p) && !isResult(p)).map(partText).join('');
    if (m.role === ROLE.assistant) {
      const toolCalls: ToolCall[] = m.content.filter(isCall).map((c) => ({ id: c.callId, name: c.name, arguments: JSON.stringify(c.input ?? {}) }));
      out.push({ role: 'assistant', content: text, ...(toolCalls.length ? { toolCalls } : {}) });
      continue;
    }
    if (m.role === ROLE.system) {
      out.push({ role: 'system', content: text });
      continue;
    }
    for (const r of m.content.filter(isResult)) out.push({ role: 'tool', toolCallId: r.callId, content: resultText(r) });
    if (text || !m.content.some(isResult)) out.push({ role: 'user', content: text });
  }
  return out;
}

/** Everything a message says, as one text: what its tokens are counted on. */
export function messageText(m: LmMessage): string {
  return m.content
    .map((p) => (isCall(p) ? `${p.name} ${JSON.stringify(p.input ?? {})}` : isResult(p) ? resultText(p) : partText(p)))
    .join('\n');
}

/** Tokens a chat-completions message costs beyond its text (its role and separators), as OpenAI counts them. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** The words Auto routing classifies: the user's latest text (a tool loop's later steps keep the question's task). */
export function latestQuestion(messages: readonly ChatMessage[]): string {
  return messages.findLast((m) => m.role === 'user' && m.content.trim() !== '')?.content ?? '';
}

/** What a caller may set through `modelOptions` (OpenAI's names, and VS Code's camel-case spelling of the limit). */
export interface CallerOptions {
  temperature?: number;
  maxTokens?: number;
}

/**
 * A caller's `modelOptions` that Switchboard honours: `temperature` (0 to 2) and `max_tokens` /
 * `maxTokens` / `max_completion_tokens` (a whole number from 1). Anything else is left out, and so is
 * a value out of range, with a line saying why for the log.
 */
export function callerOptions(modelOptions: { readonly [name: string]: unknown } | undefined): { options: CallerOptions; ignored: string[] } {
  const options: CallerOptions = {};
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(modelOptions ?? {})) {
    if (name === 'temperature') {
      if (typeof value === 'number' && value >= 0 && value <= 2) options.temperature = value;
      else ignored.push(`temperature ${JSON.stringify(value)} (expected 0 to 2)`);
    } else if (name === 'max_tokens' || name === 'maxTokens' || name === 'max_completion_tokens') {
      if (typeof value === 'number' && Number.isInteger(value) && value >= 1) options.maxTokens = value;
      else ignored.push(`${name} ${JSON.stringify(value)} (expected a whole number from 1)`);
    } else {
      ignored.push(name);
    }
  }
  return { options, ignored };
}
