import * as vscode from 'vscode';
import { callerOptions, latestQuestion, messageText, toChatMessages, MESSAGE_OVERHEAD_TOKENS } from '../core/lm/messages';
import type { Router } from '../core/router';
import { expandPools } from '../core/router';
import { candidateChain, type SwitchboardConfig } from '../core/routes';
import type { TaskGuess } from '../core/routing/classify';
import { estimateComplexity } from '../core/routing/complexity';
import { TASK_LABELS, TASK_TYPES, promptText, type TaskType } from '../core/tasks';
import { parseArguments } from '../core/tools/assemble';
import type { ToolSchema } from '../core/gateway';
import { AnswerCost } from '../core/usage/ledger';
import type { Meter } from './chatSession';
import type {
  LanguageModelChatInformation,
  LanguageModelChatProvider,
  LanguageModelChatRequestMessage,
  LanguageModelResponsePart,
  ProvideLanguageModelChatResponseOptions,
} from './lmApi';
import { Disposable } from './lifecycle';
import type { Log } from './log';

/** The vendor other extensions select Switchboard's models by: `vscode.lm.selectChatModels({ vendor })`. */
export const LM_VENDOR = 'switchboard';
export const AUTO_MODEL = 'auto';
/** Used for a model whose context window neither the catalog nor the price data knows. */
const UNKNOWN_CONTEXT_WINDOW = 128_000;

export interface LmProviderDeps {
  router: () => Router | undefined;
  hasKey: () => boolean;
  /** Asks the user for the key (an input box); true once one is stored. */
  requireKey: () => Promise<boolean>;
  config: () => SwitchboardConfig;
  classify: (text: string) => TaskGuess;
  contextWindow: (model: string) => number | undefined;
  meter: Meter;
  log: Log;
  version: string;
}

/** The first model a task's chain asks (a pool counts as its first member). */
function primaryOf(config: SwitchboardConfig, task: TaskType): { primary: string; chain: string[] } {
  const chain = expandPools(candidateChain(config, task), config.pools, (m) => m);
  return { primary: chain[0] ?? '', chain };
}

/**
 * Switchboard's routing inside VS Code's own AI: `Switchboard · Auto` and one model per task type, for
 * Copilot Chat's model picker and any extension using `vscode.lm` (Cline, Roo). Every request runs
 * through the same router as the chat panel (failover, continuation, rate-limit waits), is logged the
 * same way and counted in the same usage ledger; only a failure that ends the request reaches the
 * caller, as an error with the chat panel's sentence.
 */
export class LmProvider extends Disposable implements LanguageModelChatProvider {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  private seq = 0;

  constructor(private readonly deps: LmProviderDeps) {
    super();
  }

  /** The key, the gateway or the routes changed: VS Code asks for the model list again. */
  refresh(): void {
    this.changed.fire();
  }

  /**
   * Without a key the models are not offered: a silent look-up (VS Code starting, another extension
   * listing models) gets none, and one the user asked for (Manage Models) asks for the key first.
   */
  async provideLanguageModelChatInformation(options: { readonly silent: boolean }): Promise<LanguageModelChatInformation[]> {
    if (!this.deps.hasKey() && (options.silent || !(await this.deps.requireKey()))) return [];
    return this.models();
  }

  /** Auto and one model per task type, each with its primary's limits. */
  models(): LanguageModelChatInformation[] {
    const config = this.deps.config();
    const window = (model: string) => this.deps.contextWindow(model) ?? UNKNOWN_CONTEXT_WINDOW;
    const info = (task: TaskType): LanguageModelChatInformation => {
      const { primary, chain } = primaryOf(config, task);
      const { maxTokens } = config.routes[task];
      return {
        id: task,
        name: `Switchboard · ${TASK_LABELS[task]}`,
        family: `switchboard-${task}`,
        version: this.deps.version,
        detail: primary,
        tooltip: `${TASK_LABELS[task]} through Switchboard: ${chain.join(' → ')}, failing over silently.`,
        // The answer shares the window with the prompt.
        maxInputTokens: Math.max(1, window(primary) - maxTokens),
        maxOutputTokens: maxTokens,
        capabilities: { toolCalling: true, imageInput: false },
      };
    };
    const perTask = TASK_TYPES.map(info);
    const auto: LanguageModelChatInformation = {
      id: AUTO_MODEL,
      name: 'Switchboard · Auto',
      family: 'switchboard-auto',
      version: this.deps.version,
      detail: `${config.costMode} cost mode`,
      tooltip: 'Switchboard picks the task from the question and the model from the task and cost mode, failing over silently.',
      // Whichever task the question turns out to be, its prompt must fit.
      maxInputTokens: Math.min(...perTask.map((m) => m.maxInputTokens)),
      maxOutputTokens: Math.max(...perTask.map((m) => m.maxOutputTokens)),
      capabilities: { toolCalling: true, imageInput: false },
    };
    return [auto, ...perTask];
  }

  async provideLanguageModelChatResponse(
    model: LanguageModelChatInformation,
    lmMessages: readonly LanguageModelChatRequestMessage[],
    options: ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<LanguageModelResponsePart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const id = `lm${Date.now().toString(36)}${(this.seq++).toString(36)}`;
    const { log, meter } = this.deps;
    const router = this.deps.router();
    if (!router) {
      throw new Error(this.deps.hasKey() ? 'Switchboard is not configured: check switchboard.baseUrl in your user settings.' : 'No API key is set. Run "Switchboard: Set API Key" to send requests.');
    }
    const messages = toChatMessages(lmMessages);
    const question = latestQuestion(messages);
    let task: TaskType;
    let why: string;
    if (model.id === AUTO_MODEL) {
      const guess = this.deps.classify(question);
      task = guess.task;
      why = `auto: ${guess.best} ${(guess.confidence * 100).toFixed(0)}% (${guess.reason})${guess.unsure ? ' → general_qa' : ''}`;
    } else if ((TASK_TYPES as readonly string[]).includes(model.id)) {
      task = model.id as TaskType;
      why = 'chosen by the caller';
    } else {
      throw new Error(`Switchboard has no model "${model.id}"; choose Switchboard · Auto or one of its task models.`);
    }
    const complexity = estimateComplexity({ task, text: question, historyTurns: messages.filter((m) => m.role === 'user').length - 1 });
    const routed = router.route({ task, complexity });
    // The caller's temperature and a smaller answer limit apply to every model the plan may ask; a
    // larger limit than the task's is capped by it (the task's limit is what the model list promised).
    const caller = callerOptions(options.modelOptions);
    const plan = {
      ...routed,
      candidates: routed.candidates.map((c) => ({
        ...c,
        ...(caller.options.temperature !== undefined ? { temperature: caller.options.temperature } : {}),
        ...(caller.options.maxTokens !== undefined ? { maxTokens: Math.min(c.maxTokens, caller.options.maxTokens) } : {}),
      })),
    };
    const first = plan.candidates[0];
    if (first && !(await meter.allow({ model: first.model, messages, maxTokens: first.maxTokens }))) {
      log.info(`[${id}] not sent: the daily budget`);
      throw new Error('Not sent: the daily budget (switchboard.dailyBudget) would be exceeded.');
    }
    if (token.isCancellationRequested) return;
    const tools: ToolSchema[] = (options.tools ?? []).map((t) => ({
      name: t.name,
      description: t.description,
      parameters: (t.inputSchema as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} },
    }));
    const toolChoice = tools.length && options.toolMode === vscode.LanguageModelChatToolMode.Required ? 'required' : 'auto';
    log.info(`[${id}] language model request for ${model.name}: ${task} (${why}; ${complexity.level}) → ${plan.candidates.map((c) => c.model).join(' → ')}${plan.note ? ` [${plan.note}]` : ''}${plan.moved?.length ? ` [health: ${plan.moved.join('; ')}]` : ''}${caller.ignored.length ? ` [model options ignored: ${caller.ignored.join(', ')}]` : ''}`);

    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    const cost = new AnswerCost(meter);
    let failovers = 0;
    try {
      const events = router.run({ task, messages, complexity, hedge: true, plan, ...(tools.length ? { tools, toolChoice } : {}) }, controller.signal);
      for await (const event of events) {
        switch (event.type) {
          case 'delta':
            progress.report(new vscode.LanguageModelTextPart(event.text));
            break;
          case 'failover':
            failovers++;
            log.info(`[${id}] failover: ${event.from} → ${event.to} (${event.summary})`);
            break;
          case 'usage':
            cost.add(event.model, event.usage);
            break;
          case 'done': {
            log.attempts(id, event.attempts);
            if (event.cancelled) log.info(`[${id}] cancelled by the caller`);
            for (const call of event.toolCalls) {
              const args = parseArguments(call.arguments);
              // A call whose arguments are not an object goes back as the raw text, so the caller can say what was wrong.
              progress.report(new vscode.LanguageModelToolCallPart(call.id, call.name, args.ok ? args.value : { arguments: call.arguments }));
            }
            const settled = cost.settle(event.model, event.usage, promptText(messages), event.text);
            if (event.text || settled.usage.completionTokens > 0 || event.toolCalls.length) {
              meter.record({ model: event.model, usage: settled.usage, cost: settled.cost, estimated: settled.estimated, failovers });
            }
            return;
          }
          case 'error':
            log.attempts(id, event.attempts);
            log.warn(`[${id}] ${event.reason}: ${event.userText}`);
            throw new Error(event.userText);
          default:
            // start, reasoning, waiting and hedge notices are the chat panel's; a caller sees only the answer.
            break;
        }
      }
    } finally {
      cancel.dispose();
    }
  }

  async provideTokenCount(_model: LanguageModelChatInformation, text: string | LanguageModelChatRequestMessage): Promise<number> {
    if (typeof text === 'string') return this.deps.meter.countTokens(text);
    return this.deps.meter.countTokens(messageText(text)) + MESSAGE_OVERHEAD_TOKENS;
  }
}
