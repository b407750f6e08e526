/**
 * Tool calls assembled from chat-completions stream deltas. Providers differ in every detail, and each
 * of these shapes is in the recorded streams of `../shared/wire/`:
 * - arguments split across many chunks, or the whole call in one chunk;
 * - several parallel calls told apart by `index` (which may start at 1, not 0);
 * - the id only on a call's first chunk, or repeated as `""` on every continuation;
 * - `name` once, on the first chunk (a later `name` is never appended to it).
 */

/** One delta of `choices[0].delta.tool_calls[]`, as the gateway sent it. */
export interface ToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

/** A complete call: its arguments are the raw JSON text the model wrote (parse with `parseArguments`). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export class ToolCallAssembler {
  private readonly byIndex = new Map<number, { id: string; name: string; args: string[] }>();
  /** Deltas without an index continue the call that came last (a few gateways omit it). */
  private lastIndex = 0;

  add(deltas: readonly ToolCallDelta[]): void {
    for (const d of deltas) {
      const index = typeof d.index === 'number' ? d.index : this.lastIndex;
      this.lastIndex = index;
      let call = this.byIndex.get(index);
      if (!call) {
        call = { id: '', name: '', args: [] };
        this.byIndex.set(index, call);
      }
      // An id is kept once set: continuations that repeat it as "" (DashScope) must not clear it.
      if (typeof d.id === 'string' && d.id && !call.id) call.id = d.id;
      const fn = d.function;
      if (fn && typeof fn.name === 'string' && fn.name && !call.name) call.name = fn.name;
      if (fn && typeof fn.arguments === 'string' && fn.arguments) call.args.push(fn.arguments);
    }
  }

  get size(): number {
    return this.byIndex.size;
  }

  /** The calls in index order; a call the gateway sent no id for gets a stable one of its own. */
  calls(): ToolCall[] {
    return [...this.byIndex.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, c]) => c.name)
      .map(([index, c]) => ({ id: c.id || `call_${index}`, name: c.name, arguments: c.args.join('') }));
  }
}

/** The call's arguments as an object; an empty string is `{}`; anything else that is not a JSON object is an error. */
export function parseArguments(raw: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (raw.trim() === '') return { ok: true, value: {} };
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { ok: true, value: value as Record<string, unknown> };
    return { ok: false, error: 'the arguments are not a JSON object' };
  } catch (err) {
    return { ok: false, error: `the arguments are not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}
