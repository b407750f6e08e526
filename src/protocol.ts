/**
 * Host ⇄ webview messages: one discriminated union each way, validated on receipt with zod.
 * Imported by both bundles; it must stay free of `vscode` and of DOM types.
 */
import * as z from 'zod/mini';
import { TASK_TYPES } from './core/tasks';

const id = z.string().check(z.minLength(1), z.maxLength(100));
const shortText = z.string().check(z.maxLength(10_000));
const longText = z.string().check(z.maxLength(2_000_000));
export const TaskChoice = z.union([z.literal('auto'), z.enum(TASK_TYPES)]);
export type TaskChoice = z.infer<typeof TaskChoice>;
export const Fix = z.enum(['setApiKey', 'openSettings']);

export const FailoverNote = z.object({ from: z.string(), to: z.string(), summary: z.string() });
export type FailoverNote = z.infer<typeof FailoverNote>;
/** A hedge race decided who answered: `winner` streamed first after `loser` was slow for `afterMs`. */
export const HedgeNote = z.object({ winner: z.string(), loser: z.string(), afterMs: z.number() });
export type HedgeNote = z.infer<typeof HedgeNote>;

/** One tool call of an answer, as the chat shows it: what was asked, and a short account of the result. */
export const ToolStep = z.object({
  id,
  name: z.string().check(z.maxLength(100)),
  /** The arguments as the model wrote them (clipped). */
  args: shortText,
  /** `waiting`: a proposed edit shown as a diff, for the user to apply or reject. */
  state: z.enum(['running', 'waiting', 'done', 'error']),
  /** One line: `read src/a.ts (120 lines)`, `refused: outside the workspace`. */
  summary: z.optional(z.string().check(z.maxLength(500))),
  /** The start of what the model was given back (clipped), shown when the step is expanded. */
  detail: z.optional(shortText),
});
export type ToolStep = z.infer<typeof ToolStep>;

/** Context attached to the next question: shown as a chip (its text stays with the host). */
export const ContextChip = z.object({
  id,
  /** `review.ts:3-8`, `review.ts`. */
  label: z.string().check(z.maxLength(300)),
  /** On hover: the workspace path, the lines and the size. */
  title: z.string().check(z.maxLength(1000)),
});
export type ContextChip = z.infer<typeof ContextChip>;

export const UiMessage = z.object({
  id,
  role: z.enum(['user', 'assistant']),
  text: longText,
  /** Assistant only: the model that answered (the last one, after failover). */
  model: z.optional(z.string()),
  /** Every model that contributed text, when more than one did. */
  models: z.optional(z.array(z.string())),
  task: z.optional(z.enum(TASK_TYPES)),
  /** Why this task was chosen: the words that decided Auto routing, or the action or picker. */
  taskReason: z.optional(z.string()),
  /** Why the cost mode started on this model instead of the table's primary: `economy: short question → deepseek-v4`. */
  routeNote: z.optional(z.string().check(z.maxLength(300))),
  /** Auto routing only: the classifier's probability for the task, 0 to 1. */
  confidence: z.optional(z.number().check(z.gte(0), z.lte(1))),
  state: z.enum(['streaming', 'waiting', 'done', 'cancelled', 'error']),
  /** Assistant only: the answering model's reasoning, shown as a collapsed Thinking section. */
  reasoning: z.optional(longText),
  /** Assistant only: the tools the model called on the way to this answer, in order. */
  tools: z.optional(z.array(ToolStep)),
  failovers: z._default(z.array(FailoverNote), []),
  hedge: z.optional(HedgeNote),
  /** A note such as "rate-limited, retrying in 3 s" while waiting. */
  notice: z.optional(z.string()),
  error: z.optional(z.object({ text: shortText, fix: z.optional(Fix) })),
  usage: z.optional(z.object({ promptTokens: z.number(), completionTokens: z.number() })),
  /** USD for this answer; absent when the model has no known price. */
  cost: z.optional(z.number().check(z.gte(0))),
  /** The tokens (and so the cost) were counted here because the gateway sent no usage. */
  estimated: z.optional(z.boolean()),
  /** User only: the labels of the context chips that went with this question. */
  chips: z.optional(z.array(z.string().check(z.maxLength(300)))),
  /** For a translated comment: the editor range it may replace (the Insert action). */
  replaceable: z.optional(z.boolean()),
});
export type UiMessage = z.infer<typeof UiMessage>;

/** A conversation in the chat's history: what the list shows. */
export const ConversationSummary = z.object({
  id,
  title: z.string().check(z.maxLength(200)),
  createdAt: z.number(),
  updatedAt: z.number(),
  count: z.number(),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;
const CurrentConversation = z.object({ id, title: z.string().check(z.maxLength(200)) });

export const ViewState = z.object({
  messages: z.array(UiMessage),
  draft: shortText,
  task: TaskChoice,
  model: z.string(),
  /** Models offered in the model picker ('auto' is always offered first). */
  models: z.array(z.string()),
  restricted: z.boolean(),
  busy: z.boolean(),
  hasKey: z.boolean(),
  /** Context attached to the next question. */
  chips: z._default(z.array(ContextChip), []),
  /** The conversation shown, and the past ones (newest first). */
  conversation: z.optional(CurrentConversation),
  history: z._default(z.array(ConversationSummary), []),
});
export type ViewState = z.infer<typeof ViewState>;

export const HostMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), state: ViewState }),
  z.object({ type: z.literal('append'), message: UiMessage }),
  /** Replaces one message wholesale (state changes, failover notes, errors). */
  z.object({ type: z.literal('update'), message: UiMessage }),
  z.object({ type: z.literal('delta'), id, text: longText }),
  /** More reasoning for answer `id` (appended to its Thinking section). */
  z.object({ type: z.literal('reasoning'), id, text: longText }),
  z.object({ type: z.literal('busy'), busy: z.boolean() }),
  /** The context chips changed (attached, removed, or sent with a question). */
  z.object({ type: z.literal('chips'), chips: z.array(ContextChip) }),
  z.object({ type: z.literal('focusInput') }),
  /** The history changed (a conversation renamed or deleted); a reopened one comes as a snapshot. */
  z.object({ type: z.literal('history'), conversation: CurrentConversation, history: z.array(ConversationSummary) }),
  /** Show the list of past conversations (Switchboard: Show Chat History). */
  z.object({ type: z.literal('showHistory') }),
]);
export type HostMessage = z.infer<typeof HostMessage>;

export const WebviewMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('send'), text: z.string().check(z.minLength(1), z.maxLength(200_000)), task: TaskChoice, model: z.string().check(z.maxLength(200)) }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('retry'), id }),
  /** Ask the question behind answer `id` again, routed as `task`. */
  z.object({ type: z.literal('reroute'), id, task: z.enum(TASK_TYPES) }),
  z.object({ type: z.literal('newChat') }),
  /** A conversation of the history: reopen it, rename it (the host asks for the title), delete it (the host asks first). */
  z.object({ type: z.literal('conversation'), id, action: z.enum(['open', 'rename', 'delete']) }),
  z.object({ type: z.literal('copy'), text: longText }),
  z.object({ type: z.literal('insert'), text: longText }),
  z.object({ type: z.literal('replaceComment'), id }),
  z.object({ type: z.literal('openLink'), href: z.string().check(z.maxLength(4000)) }),
  z.object({ type: z.literal('draft'), text: shortText }),
  z.object({ type: z.literal('pick'), task: TaskChoice, model: z.string().check(z.maxLength(200)) }),
  z.object({ type: z.literal('fix'), fix: Fix }),
  /** Open the searchable list of every model the gateway offers. */
  z.object({ type: z.literal('pickModel') }),
  /** Attach the selection, the active file or another workspace file to the next question. */
  z.object({ type: z.literal('attach') }),
  z.object({ type: z.literal('removeChip'), id }),
  /** The user's choice on a proposed edit (tool step `step` of answer `id`). */
  z.object({ type: z.literal('proposal'), id, step: id, decision: z.enum(['apply', 'reject', 'show']) }),
]);
export type WebviewMessage = z.infer<typeof WebviewMessage>;

/** Parses a message from the other side; returns undefined (and the reason) for anything malformed. */
export function parseWebviewMessage(data: unknown): { ok: true; message: WebviewMessage } | { ok: false; error: string } {
  const r = WebviewMessage.safeParse(data);
  return r.success ? { ok: true, message: r.data } : { ok: false, error: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

export function parseHostMessage(data: unknown): HostMessage | undefined {
  const r = HostMessage.safeParse(data);
  return r.success ? r.data : undefined;
}
