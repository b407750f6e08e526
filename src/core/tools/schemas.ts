/**
 * The editor tools a model may call: one zod schema per tool gives both the JSON Schema the request
 * carries and the check its arguments must pass before the host runs anything.
 */
import * as z from 'zod/mini';
import type { ToolSchema } from '../gateway';

const path = z.string().check(z.minLength(1), z.maxLength(1000), z.describe('A path relative to the workspace folder, e.g. src/app.ts'));
const line = (what: string) => z.optional(z.int().check(z.gte(1), z.lte(10_000_000), z.describe(what)));
const max = z.optional(z.int().check(z.gte(1), z.lte(500), z.describe('At most this many results (default 100)')));

export const TOOLS = {
  get_selection: {
    description: "The text selected in the user's active editor, with its file name and line range. Empty when nothing is selected.",
    args: z.object({}),
  },
  read_file: {
    description: 'Read a text file of the workspace, whole or a range of lines (1-based, inclusive). Large files are cut off: ask for a range.',
    args: z.object({ path, startLine: line('First line to read'), endLine: line('Last line to read') }),
  },
  list_files: {
    description: 'List workspace files whose path matches a glob pattern such as **/*.ts or src/**.',
    args: z.object({ glob: z.string().check(z.minLength(1), z.maxLength(500), z.describe('A glob relative to the workspace folder')), maxResults: max }),
  },
  search_text: {
    description: 'Search the text of workspace files; returns matching lines as path:line: text.',
    args: z.object({
      query: z.string().check(z.minLength(1), z.maxLength(500), z.describe('The text to find (case-insensitive), or a regular expression when isRegex is true')),
      isRegex: z.optional(z.boolean()),
      glob: z.optional(z.string().check(z.maxLength(500), z.describe('Only files matching this glob'))),
      maxResults: max,
    }),
  },
  get_diagnostics: {
    description: 'Errors and warnings VS Code reports (compiler, linter) for one file, or for the whole workspace without a path.',
    args: z.object({ path: z.optional(path) }),
  },
  git_diff: {
    description: 'The uncommitted changes of the working tree (git diff against HEAD), for one file or all of them.',
    args: z.object({ path: z.optional(path) }),
  },
  propose_edit: {
    description:
      'Propose a change to one workspace file: each edit replaces the exact text `find` (it must occur once) with `replace`; to create a file, give `content` instead. The user sees a diff and decides; nothing is written without their click.',
    args: z.object({
      path,
      edits: z.optional(z.array(z.object({ find: z.string().check(z.minLength(1)), replace: z.string() })).check(z.minLength(1), z.maxLength(50))),
      content: z.optional(z.string().check(z.maxLength(1_000_000), z.describe('The whole text of a new file'))),
      explanation: z.optional(z.string().check(z.maxLength(2000), z.describe('One sentence on why, shown to the user'))),
    }),
  },
} as const;

export type ToolName = keyof typeof TOOLS;
export type ToolArgs<N extends ToolName> = z.infer<(typeof TOOLS)[N]['args']>;
export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];
/** Tools that only read; `propose_edit` is the one that may change a file (after the user's click). */
export const READ_ONLY_TOOLS: readonly ToolName[] = TOOL_NAMES.filter((n) => n !== 'propose_edit');

export function isToolName(name: string): name is ToolName {
  return Object.prototype.hasOwnProperty.call(TOOLS, name);
}

const schemaCache = new Map<ToolName, ToolSchema>();

/** The request's `tools`, in chat completions' JSON Schema form. */
export function toolSchemas(names: readonly ToolName[]): ToolSchema[] {
  return names.map((name) => {
    let schema = schemaCache.get(name);
    if (!schema) {
      const { $schema: _drop, ...parameters } = z.toJSONSchema(TOOLS[name].args) as Record<string, unknown>;
      schema = { name, description: TOOLS[name].description, parameters };
      schemaCache.set(name, schema);
    }
    return schema;
  });
}

/** The arguments checked against the tool's schema; the error names each bad field, for the model to fix. */
export function checkArgs<N extends ToolName>(name: N, value: unknown): { ok: true; value: ToolArgs<N> } | { ok: false; error: string } {
  const r = TOOLS[name].args.safeParse(value);
  if (r.success) return { ok: true, value: r.data as ToolArgs<N> };
  const say = (i: (typeof r.error.issues)[number]) => (i.code === 'invalid_type' ? `expected ${i.expected}` : i.message);
  return { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${say(i)}`).join('; ') };
}
