/** Task types, editor actions and the prompt each action builds. No `vscode` import. */
import type { ToolCall } from './tools/assemble';

export const TASK_TYPES = [
  'code_generation',
  'code_review',
  'creative_writing',
  'data_analysis',
  'translation',
  'math_reasoning',
  'general_qa',
  'summarization',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const TASK_LABELS: Record<TaskType, string> = {
  code_generation: 'Code generation',
  code_review: 'Code review',
  creative_writing: 'Creative writing',
  data_analysis: 'Data analysis',
  translation: 'Translation',
  math_reasoning: 'Math reasoning',
  general_qa: 'General Q&A',
  summarization: 'Summarization',
};

export const EDITOR_ACTIONS = ['generate', 'review', 'explain', 'translate', 'chat'] as const;
export type EditorAction = (typeof EDITOR_ACTIONS)[number];

/** The default task of each editor action; `chat` is classified from its text instead. */
export const DEFAULT_ACTION_TASKS: Record<Exclude<EditorAction, 'chat'>, TaskType> = {
  generate: 'code_generation',
  review: 'code_review',
  explain: 'general_qa',
  translate: 'translation',
};

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Assistant only: the tools it called in this turn (its content may then be empty). */
  toolCalls?: ToolCall[];
  /** Tool only: the call this message answers. */
  toolCallId?: string;
}

/** What the editor knows when an action starts; every field is optional text the prompt may use. */
export interface ActionContext {
  /** The user's own words: the instruction for `generate`, the message for `chat`. */
  instruction?: string;
  /** The selected text (review, explain, translate). */
  selection?: string;
  /** Language id of the document, e.g. `typescript`. */
  languageId?: string;
  /** Workspace-relative file name, for orientation only. */
  fileName?: string;
  /** Code before and after the cursor, for `generate`. */
  before?: string;
  after?: string;
  /** Target language for `translate`, e.g. `English`. */
  targetLanguage?: string;
  /** Earlier turns of a chat, oldest first. */
  history?: ChatMessage[];
}

const SYSTEM =
  'You are Switchboard, a coding assistant inside VS Code. Answer in GitHub-flavoured Markdown. ' +
  'Put code in fenced blocks with a language tag. Be precise and brief.';

/** What each task asks of the model, appended to the system prompt as `Task: <label>. <guidance>`. */
export const TASK_GUIDANCE: Record<TaskType, string> = {
  code_generation: 'Write complete, working code in one fenced block; keep the prose short.',
  code_review: 'List bugs, risks and clear improvements, most important first, each with the line it concerns and a fix.',
  creative_writing: 'Write in the form and tone asked for, with no preface.',
  data_analysis: 'Work from the data given, show the numbers you rely on, and say what the data cannot tell.',
  translation: 'Translate faithfully into the language asked for (English when none is named) and reply with the translation alone.',
  math_reasoning: 'Solve it step by step with numbered steps, and end with the answer on its own line.',
  general_qa: 'Answer directly first, then add detail only where it helps.',
  summarization: 'Summarise the key points as a short list, adding nothing that is not in the source.',
};

/** The system prompt for a task: Switchboard's rules, then what the task asks for. */
export function systemPrompt(task: TaskType): string {
  return `${SYSTEM}\n\nTask: ${TASK_LABELS[task]}. ${TASK_GUIDANCE[task]}`;
}

/**
 * The messages as sent for `task`: the leading system message says what the task asks for. Applied
 * when the request is routed, so asking the same question as another task changes the instructions too.
 */
export function forTask(messages: ChatMessage[], task: TaskType): ChatMessage[] {
  const [first, ...rest] = messages;
  if (first?.role === 'system' && first.content === SYSTEM) return [{ role: 'system', content: systemPrompt(task) }, ...rest];
  return messages;
}

/** A Markdown code fence longer than any backtick run inside the code. */
export function fence(code: string, languageId = ''): string {
  // A fence longer than any backtick run inside the code keeps the code intact.
  const longest = Math.max(2, ...Array.from(code.matchAll(/`+/g), (m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${languageId}\n${code}\n${ticks}`;
}

function where(ctx: ActionContext): string {
  const parts = [ctx.fileName && `file \`${ctx.fileName}\``, ctx.languageId && `language ${ctx.languageId}`].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Builds the chat messages an editor action sends. */
export function buildPrompt(action: EditorAction, ctx: ActionContext): ChatMessage[] {
  const lang = ctx.languageId ?? '';
  const system: ChatMessage = { role: 'system', content: SYSTEM };
  switch (action) {
    case 'generate': {
      const instruction = ctx.instruction?.trim() || 'Write the code that belongs at the cursor.';
      const context =
        ctx.before !== undefined || ctx.after !== undefined
          ? `\n\nCode around the cursor${where(ctx)}; the cursor is at <CURSOR>:\n${fence(`${ctx.before ?? ''}<CURSOR>${ctx.after ?? ''}`, lang)}`
          : '';
      return [
        system,
        {
          role: 'user',
          content: `Generate code for this instruction: ${instruction}${context}\n\nReply with the code to insert at the cursor in one fenced block, then at most two sentences.`,
        },
      ];
    }
    case 'review':
      return [
        system,
        {
          role: 'user',
          content: `Review this code${where(ctx)}. List bugs, risks and clear improvements, most important first, each with the line it concerns and a fix. Say so if it looks fine.\n\n${fence(ctx.selection ?? '', lang)}`,
        },
      ];
    case 'explain':
      return [
        system,
        {
          role: 'user',
          content: `Explain what this code does${where(ctx)}, step by step, for a developer new to it.\n\n${fence(ctx.selection ?? '', lang)}`,
        },
      ];
    case 'translate': {
      const target = ctx.targetLanguage?.trim() || 'English';
      return [
        system,
        {
          role: 'user',
          content:
            `Translate the natural-language text in this comment into ${target}. Keep the comment markers, ` +
            `indentation, code, identifiers, URLs and line breaks exactly as they are; change only the prose. ` +
            `Reply with the translated comment alone in one fenced block.\n\n${fence(ctx.selection ?? '', lang)}`,
        },
      ];
    }
    case 'chat':
      return [system, ...(ctx.history ?? []), { role: 'user', content: ctx.instruction ?? '' }];
    default: {
      const never: never = action;
      throw new Error(`unknown editor action ${String(never)}`);
    }
  }
}

/** The text of a prompt's messages, as a token counter reads it. */
export function promptText(messages: ChatMessage[]): string {
  return messages.map((m) => m.content).join('\n');
}

/** The instruction sent to a fallback model when the previous model's stream died after partial text. */
export function continuationMessages(messages: ChatMessage[], partial: string): ChatMessage[] {
  return [
    ...messages,
    { role: 'assistant', content: partial },
    {
      role: 'user',
      content:
        'Your previous reply was cut off. Continue exactly where it stopped, starting with the next character. ' +
        'Do not repeat anything already written and do not add any preface.',
    },
  ];
}
