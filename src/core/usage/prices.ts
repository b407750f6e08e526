/**
 * Prices and context windows, from @pydantic/genai-prices (offline data built into the package, no
 * network) plus the user's `switchboard.prices`. Gateway model names are mapped to the library's ids:
 * an OpenRouter-style `vendor/model` is looked up under OpenRouter, a few gateway names that the
 * library lacks are priced as their nearest listed model (and say so). No `vscode` import: the
 * library itself is injected, so the host can load it lazily and tests can pass it directly.
 */
import type { Usage } from '../gateway';

/** What the library answers for a usage on a model (its `calcPrice`, narrowed to what is used here). */
export type CalcPrice = (
  usage: { input_tokens: number; output_tokens: number },
  modelId: string,
  options?: { providerId?: string },
) => null | { total_price: number; input_price: number; output_price: number; model: { id: string; context_window?: number }; provider: { id: string } };

/** A price from settings: USD per million tokens. */
export interface PriceOverride {
  input: number;
  output: number;
  contextWindow?: number;
}

/** A model's entry in the gateway's own list (routing/catalog.ts), as far as prices go. */
export interface PublishedModel {
  inputPerMTok?: number;
  outputPerMTok?: number;
  contextWindow?: number;
}

export interface ModelPricing {
  /** USD per million input and output tokens (for tiered prices, the tier of a short request). */
  inputPerMTok: number;
  outputPerMTok: number;
  contextWindow?: number;
  /** `settings`, `gateway` (its model list), or the library's `provider/model` id the price was read from. */
  source: string;
  /** The gateway name was priced as another model (`deepseek-v4` as `deepseek/deepseek-v3.2`). */
  approximated: boolean;
}

/**
 * Gateway names the library does not list, and the model each is priced as. Kept short on purpose:
 * a name missing here simply has no price unless `switchboard.prices` gives one.
 */
export const GATEWAY_ALIASES: Record<string, { model: string; providerId?: string }> = {
  // XiDao's deepseek-v4: DeepSeek's current chat model in the library.
  'deepseek-v4': { model: 'deepseek-v3.2', providerId: 'deepseek' },
  // Qwen3 235B is listed only through host providers; OpenRouter's listing is the reference.
  'qwen3-235b': { model: 'qwen/qwen3-235b-a22b', providerId: 'openrouter' },
};

/** Where the library lists a gateway name. */
interface LibraryId {
  model: string;
  providerId?: string;
  approximated: boolean;
}

const providerOf = (id: LibraryId) => (id.providerId ? { providerId: id.providerId } : undefined);

const MTOK = 1_000_000;
/** A typical chat turn, for prices quoted per million tokens when the library tiers them by size. */
const TYPICAL = { input: 2_000, output: 500 };

export class PriceBook {
  private calc: CalcPrice | undefined;
  private readonly cache = new Map<string, ModelPricing | null>();
  private readonly resolved = new Map<string, LibraryId | null>();

  constructor(
    /** Returns the library's calcPrice; called once, on the first question. */
    private readonly load: () => CalcPrice,
    private readonly overrides: () => Record<string, PriceOverride> = () => ({}),
    /** What the gateway's own model list says (OpenRouter publishes prices and context windows). */
    private readonly published: (model: string) => PublishedModel | undefined = () => undefined,
  ) {}

  /** Settings first, then the gateway's published price; undefined when neither has one. */
  private own(model: string): (PriceOverride & { source: 'settings' | 'gateway' }) | undefined {
    const override = this.overrides()[model];
    if (override) return { ...override, source: 'settings' };
    const p = this.published(model);
    if (p?.inputPerMTok !== undefined && p.outputPerMTok !== undefined) return { input: p.inputPerMTok, output: p.outputPerMTok, contextWindow: p.contextWindow, source: 'gateway' };
    return undefined;
  }

  /** The price of a model, or undefined when neither settings, the gateway nor the library know it. */
  pricing(model: string): ModelPricing | undefined {
    const own = this.own(model);
    if (own) return { inputPerMTok: own.input, outputPerMTok: own.output, contextWindow: own.contextWindow ?? this.library(model)?.contextWindow, source: own.source, approximated: false };
    return this.library(model) ?? undefined;
  }

  /** USD for a usage on a model, or undefined when the model has no price. */
  cost(model: string, usage: Usage): number | undefined {
    const override = this.own(model);
    if (override) return (usage.promptTokens * override.input + usage.completionTokens * override.output) / MTOK;
    const id = this.resolve(model);
    if (!id) return undefined;
    const r = this.calcPrice()({ input_tokens: usage.promptTokens, output_tokens: usage.completionTokens }, id.model, providerOf(id));
    return r ? r.total_price : undefined;
  }

  /** USD per million tokens for a typical chat turn (input and output blended), for choosing the cheapest. */
  blended(model: string): number | undefined {
    const p = this.pricing(model);
    if (!p) return undefined;
    return (p.inputPerMTok * TYPICAL.input + p.outputPerMTok * TYPICAL.output) / (TYPICAL.input + TYPICAL.output);
  }

  contextWindow(model: string): number | undefined {
    return this.pricing(model)?.contextWindow ?? this.published(model)?.contextWindow;
  }

  private calcPrice(): CalcPrice {
    this.calc ??= this.load();
    return this.calc;
  }

  /** The library id a gateway name is priced as (looked up once per name). */
  private resolve(model: string): LibraryId | undefined {
    let id = this.resolved.get(model);
    if (id === undefined) {
      const name = model.trim();
      const alias = GATEWAY_ALIASES[name.toLowerCase()];
      const tries: LibraryId[] = [
        ...(alias ? [{ ...alias, approximated: true }] : []),
        { model: name, approximated: false },
        ...(name.includes('/') ? [{ model: name, providerId: 'openrouter', approximated: false }] : []),
      ];
      id = tries.find((t) => this.calcPrice()({ input_tokens: 1, output_tokens: 1 }, t.model, providerOf(t))) ?? null;
      this.resolved.set(model, id);
    }
    return id ?? undefined;
  }

  private library(model: string): ModelPricing | null {
    const cached = this.cache.get(model);
    if (cached !== undefined) return cached;
    let result: ModelPricing | null = null;
    const id = this.resolve(model);
    if (id) {
      const options = providerOf(id);
      // Per-million prices at a typical request's size, so a tiered price reads as its first tier.
      const input = this.calcPrice()({ input_tokens: TYPICAL.input, output_tokens: 0 }, id.model, options);
      const output = this.calcPrice()({ input_tokens: 0, output_tokens: TYPICAL.output }, id.model, options);
      if (input && output) {
        // Some first-party listings omit the window; OpenRouter's listing of the same model often has it.
        const window =
          input.model.context_window ?? this.calcPrice()({ input_tokens: 1, output_tokens: 1 }, `${input.provider.id}/${input.model.id}`, { providerId: 'openrouter' })?.model.context_window;
        result = {
          inputPerMTok: (input.total_price * MTOK) / TYPICAL.input,
          outputPerMTok: (output.total_price * MTOK) / TYPICAL.output,
          contextWindow: window,
          source: `${input.provider.id}/${input.model.id}`,
          approximated: id.approximated,
        };
      }
    }
    this.cache.set(model, result);
    return result;
  }
}
