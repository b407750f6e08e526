/**
 * The tool loop: a conversation over the router, not a router feature. Each step is one routed request
 * with the router's failover; when the answer is tool calls, the host runs them, their results join the
 * conversation, and the next step goes to whichever model answers it, with everything so far intact.
 */
import type { Usage } from '../gateway';
import type { AttemptRecord, RouteRequest, Router, RouterEvent } from '../router';
import type { ChatMessage } from '../tasks';
import { parseArguments, type ToolCall } from './assemble';
import { checkArgs, isToolName, toolSchemas, type ToolName } from './schemas';

export interface ToolResult {
  /** What the model is given back. */
  content: string;
  /** One line for the user: `read src/a.ts (120 lines)`, `refused: outside the workspace`. */
  summary: string;
  isError?: boolean;
}

/** What the loop needs from the editor: implemented over the vscode API in src/host/tools.ts. */
export interface ToolHost {
  /** The tools on offer right now (none in an untrusted workspace or with tools turned off). */
  available(): readonly ToolName[];
  /** Runs one call whose arguments already passed the tool's schema. Refusals are results, not throws. */
  run(name: ToolName, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolResult>;
}

export type LoopEvent =
  | RouterEvent
  /** A new routed request begins (1 for the first). */
  | { type: 'step'; step: number }
  | { type: 'tool_start'; step: number; call: ToolCall }
  | { type: 'tool_end'; step: number; call: ToolCall; result: ToolResult };

export interface LoopOptions {
  /** Routed requests at most; the last one may not call tools, so it has to answer. Default 8. */
  maxSteps?: number;
  /** A tool result longer than this is cut, with a note saying so. Default 16,000 characters. */
  maxResultChars?: number;
}

export const DEFAULT_MAX_STEPS = 8;
export const DEFAULT_MAX_RESULT_CHARS = 16_000;
/** Between the text of two steps ("Reading the file." … "The file defines …"). */
const STEP_BREAK = '\n\n';

/** Runs a request that may call tools; ends, like the router, with exactly one `done` or `error`. */
export async function* runToolLoop(router: Router, request: RouteRequest, host: ToolHost, signal: AbortSignal, options: LoopOptions = {}): AsyncGenerator<LoopEvent> {
  const names = host.available();
  if (names.length === 0) {
    yield* router.run(request, signal);
    return;
  }
  const tools = toolSchemas(names);
  const maxSteps = Math.max(1, options.maxSteps ?? DEFAULT_MAX_STEPS);
  const maxChars = options.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS;
  const messages: ChatMessage[] = [...request.messages];
  const usage: Usage = { promptTokens: 0, completionTokens: 0 };
  const attempts: AttemptRecord[] = [];
  const models: string[] = [];
  let text = '';
  let reasoned = false;

  for (let step = 1; ; step++) {
    const last = step >= maxSteps;
    yield { type: 'step', step };
    let end: Extract<RouterEvent, { type: 'done' | 'error' }> | undefined;
    let stepText = false;
    let stepReasoning = false;
    for await (const e of router.run({ ...request, messages, tools, toolChoice: last ? 'none' : 'auto' }, signal)) {
      if (e.type === 'done' || e.type === 'error') {
        end = e;
        break;
      }
      if (e.type === 'start' && !e.continuing) stepReasoning = false;
      // The answer reads as one text: each step's words follow the last step's after a paragraph break.
      if (e.type === 'delta' && !stepText) {
        stepText = true;
        if (text) yield { type: 'delta', model: e.model, text: STEP_BREAK };
      }
      if (e.type === 'reasoning' && !stepReasoning) {
        stepReasoning = true;
        if (reasoned) yield { type: 'reasoning', model: e.model, text: STEP_BREAK };
        reasoned = true;
      }
      yield e;
    }
    if (!end) throw new Error('the router ended without done or error');
    const joined = end.text ? (text ? `${text}${STEP_BREAK}${end.text}` : end.text) : text;
    attempts.push(...end.attempts);
    if (end.type === 'error') {
      yield { ...end, text: joined, attempts };
      return;
    }
    text = joined;
    usage.promptTokens += end.usage.promptTokens;
    usage.completionTokens += end.usage.completionTokens;
    for (const m of end.models) if (!models.includes(m)) models.push(m);
    const finish = (finishReason: string, cancelled = end.cancelled): RouterEvent => ({ ...end, text, usage, attempts, models, finishReason, cancelled, toolCalls: [] });

    if (end.cancelled || end.toolCalls.length === 0) {
      yield finish(end.finishReason);
      return;
    }
    if (last) {
      // The model was told it may not call tools and called one anyway: stop here rather than loop.
      yield finish('step_limit');
      return;
    }
    messages.push({ role: 'assistant', content: end.text, toolCalls: end.toolCalls });
    for (const call of end.toolCalls) {
      yield { type: 'tool_start', step, call };
      const result = clipResult(await runOne(host, names, call, signal), maxChars);
      yield { type: 'tool_end', step, call, result };
      messages.push({ role: 'tool', toolCallId: call.id, content: result.content });
      if (signal.aborted) break;
    }
    if (signal.aborted) {
      yield finish('cancelled', true);
      return;
    }
  }
}

async function runOne(host: ToolHost, offered: readonly ToolName[], call: ToolCall, signal: AbortSignal): Promise<ToolResult> {
  const refuse = (why: string): ToolResult => ({ content: `Error: ${why}`, summary: why, isError: true });
  if (!isToolName(call.name) || !offered.includes(call.name)) return refuse(`there is no tool named ${call.name}; the tools are ${offered.join(', ')}`);
  const parsed = parseArguments(call.arguments);
  if (!parsed.ok) return refuse(parsed.error);
  const args = checkArgs(call.name, parsed.value);
  if (!args.ok) return refuse(`bad arguments: ${args.error}`);
  try {
    return await host.run(call.name, args.value as Record<string, unknown>, signal);
  } catch (err) {
    return refuse(`the tool failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A result too large for the conversation is cut, and the model is told how much it did not see. */
export function clipResult(result: ToolResult, maxChars: number): ToolResult {
  if (result.content.length <= maxChars) return result;
  const rest = result.content.length - maxChars;
  return {
    ...result,
    content: `${result.content.slice(0, maxChars)}\n[truncated: ${rest} more characters not shown; ask for a smaller part]`,
    summary: `${result.summary} (truncated)`,
  };
}
