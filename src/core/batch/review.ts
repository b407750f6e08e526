/**
 * Review Changed Files: the structured answer asked of the model for each file, and its check. An
 * answer that does not pass is not lost: the caller shows it as a chat message instead.
 */
import * as z from 'zod/mini';
import { fence, type ChatMessage } from '../tasks';

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  /** 1-based, within the file. */
  line: number;
  endLine: number;
  severity: Severity;
  message: string;
}

export interface ReviewFile {
  /** Workspace-relative. */
  path: string;
  languageId: string;
  text: string;
  /** The file's uncommitted changes (git diff), when there is a previous version. */
  diff?: string;
}

/** Recognised by the simulator's demo, which answers it in the asked-for shape. */
export const STRUCTURED_REVIEW = 'Answer with JSON only';

const Answer = z.object({
  findings: z.array(
    z.object({
      line: z.number(),
      endLine: z.optional(z.number()),
      severity: z.optional(z.string()),
      message: z.string().check(z.minLength(1)),
    }),
  ),
});

/** The request for one file: the diff to focus on, and the file with line numbers so findings can point at lines. */
export function reviewPrompt(file: ReviewFile, maxChars: number): ChatMessage[] {
  const numbered = file.text
    .split('\n')
    .map((l, i) => `${i + 1}| ${l}`)
    .join('\n');
  const body = numbered.length > maxChars ? `${numbered.slice(0, maxChars)}\n… [the rest of the file was left out]` : numbered;
  return [
    {
      role: 'user',
      content: [
        `Review the changed file \`${file.path}\` for bugs, risky code and unclear logic, most important first. Focus on what the changes touch.`,
        `${STRUCTURED_REVIEW}, no prose and no code fence, in exactly this shape:`,
        '{"findings":[{"line":12,"endLine":14,"severity":"error","message":"One or two sentences: the problem and the fix."}]}',
        'line and endLine are the line numbers shown before "|" below; severity is error, warning or info; an empty list when there is nothing worth saying.',
        ...(file.diff ? ['', 'The uncommitted changes:', fence(file.diff, 'diff')] : []),
        '',
        `The file, each line numbered:`,
        fence(body, file.languageId),
      ].join('\n'),
    },
  ];
}

/** The findings in a model's answer, lines kept inside the file; or why the answer could not be read. */
export function parseReview(text: string, lineCount: number): { ok: true; findings: Finding[] } | { ok: false; why: string } {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return { ok: false, why: 'the answer holds no JSON object' };
  let value: unknown;
  try {
    value = JSON.parse(text.slice(start, end + 1));
  } catch (err) {
    return { ok: false, why: `the answer's JSON does not parse (${err instanceof Error ? err.message : String(err)})` };
  }
  const r = Answer.safeParse(value);
  if (!r.success) return { ok: false, why: `the answer is not in the asked-for shape (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})` };
  const clamp = (n: number) => Math.min(Math.max(1, Math.round(n)), Math.max(1, lineCount));
  return {
    ok: true,
    findings: r.data.findings.map((f) => {
      const line = clamp(f.line);
      const severity = (SEVERITIES as readonly string[]).includes(f.severity?.toLowerCase() ?? '') ? (f.severity!.toLowerCase() as Severity) : 'warning';
      return { line, endLine: Math.max(line, clamp(f.endLine ?? f.line)), severity, message: f.message.trim() };
    }),
  };
}
