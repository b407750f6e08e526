import { bundleEvaluationStarted } from './loadClock';
import * as vscode from 'vscode';
import { Health } from './core/resilience/health';
import { candidateChain } from './core/routes';
import { Router } from './core/router';
import { TASK_TYPES } from './core/tasks';
import { ChatSession, restoreMessage } from './host/chatSession';
import { ConversationHistory } from './core/history';
import type { UiMessage } from './protocol';
import { lazyClassifier } from './host/classifier';
import { loadPriceLibrary } from './host/prices';
import { PriceBook } from './core/usage/prices';
import { UsageLedger, type AnswerUsage, type UsageRow, type UsageTotals } from './core/usage/ledger';
import type { Usage } from './core/gateway';
import { lazyTokenCounter } from './host/tokenizer';
import { ModelCatalog, type StoredCatalog } from './core/routing/catalog';
import { BudgetGuard, type BudgetRequest } from './host/budget';
import { ModelPicker } from './host/modelPicker';
import { UsageView } from './host/usageView';
import { HealthView } from './host/healthView';
import { CHAT_VIEW_ID, ChatView } from './host/chatView';
import { Commands } from './host/commands';
import { lazyGateway } from './host/lazyGateway';
import { Log } from './host/log';
import { Secrets, keyCheckMessage } from './host/secrets';
import { Settings, isLoopback } from './host/settings';
import { StatusBar } from './host/statusBar';
import { lazyTools } from './host/lazyTools';
import { Proposals } from './host/proposals';
import { providerApi } from './host/lmApi';
import { LM_VENDOR, LmProvider } from './host/lmProvider';
import { openWalkthrough, showWalkthroughOnFirstRun } from './host/walkthrough';

/** Every module of the bundle has been evaluated once this line runs. */
const bundleEvaluated = performance.now();

/** What tests running in the extension host may reach; only exported in ExtensionMode.Test. */
export interface TestApi {
  session: ChatSession;
  settings: Settings;
  router: () => Router | undefined;
  storeKey(key: string): Promise<void>;
  usage(): UsageTotals;
  /** The language model provider (VS Code 1.104 and later), for measuring it apart from VS Code's transport. */
  lmProvider?: LmProvider;
}

/** Builds the object graph and registers disposables; no logic lives here. */
export function activate(context: vscode.ExtensionContext): { activationMs: number; test?: TestApi } {
  const started = performance.now();
  const log = new Log();
  const settings = new Settings(log);
  /** A value kept in globalState: what the catalog, the usage ledger and model health persist through. */
  const stored = <T>(key: string) => ({ read: () => context.globalState.get<unknown>(key), write: (value: T) => context.globalState.update(key, value) });
  const health = new Health({ store: stored('switchboard.health.v1') });
  const restoring = performance.now();
  const restored = health.restore(settings.snapshot.connection.baseURL);
  const restoreMs = performance.now() - restoring;
  const catalog = new ModelCatalog(stored<StoredCatalog | undefined>('switchboard.catalog.v1'));
  const prices = new PriceBook(
    () => loadPriceLibrary(context.extensionPath, log),
    () => settings.snapshot.config.prices,
    (m) => catalog.info(m),
  );
  const ledger = new UsageLedger(stored<UsageRow[]>('switchboard.usage.v1'));
  const gatewayFor = (apiKey: string) => lazyGateway(context.extensionPath, { apiKey, ...settings.snapshot.connection });
  /** The model list read by the key check, kept for the catalog once the key is stored. */
  let checked: { key: string; baseURL: string; entries: unknown[] } | undefined;
  const secrets = new Secrets(context.secrets, log, async (candidate) => {
    try {
      const baseURL = settings.snapshot.connection.baseURL;
      checked = { key: candidate, baseURL, entries: await gatewayFor(candidate).listModels(AbortSignal.timeout(10_000)) };
      return undefined;
    } catch (err) {
      return keyCheckMessage(err);
    }
  });

  let key: string | undefined;
  let router: Router | undefined;
  /** The gateway and key the catalog belongs to; the catalog is read again when either changes. */
  let identity: string | undefined;
  const rebuild = async () => {
    const { baseURL } = settings.snapshot.connection;
    key = (await secrets.get()) ?? demoKey(baseURL);
    const next = `${baseURL}\u0000${key ?? ''}`;
    if (identity !== undefined && identity !== next) {
      catalog.invalidate();
      if (checked && checked.key === key && checked.baseURL === baseURL) catalog.accept(baseURL, checked.entries);
      // A new key or gateway makes earlier verdicts about models meaningless.
      health.reset(baseURL);
      log.info('model health reset: the key or the gateway changed');
    }
    identity = next;
    checked = undefined;
    router = key
      ? new Router({ gateway: gatewayFor(key), config: () => settings.snapshot.config, health, price: (m) => prices.blended(m), contextWindow: (m) => prices.contextWindow(m) })
      : undefined;
  };
  void rebuild();

  const countTokens = lazyTokenCounter(context.extensionPath, log);
  const budget = new BudgetGuard(() => settings.snapshot.dailyBudget, () => ledger.today().cost, prices, countTokens, log);
  const usageView = new UsageView(context.extensionUri, ledger, () => settings.snapshot.dailyBudget);
  const picker = new ModelPicker(catalog, settings, prices, () => (key ? gatewayFor(key).listModels(AbortSignal.timeout(15_000)) : undefined), log);
  const models = () => [...new Set(TASK_TYPES.flatMap((t) => candidateChain(settings.snapshot.config, t)))];
  const proposals = new Proposals(log);
  const ensureKey = async () => {
    if (!key) await secrets.require();
    if (key && !router) await rebuild();
    return Boolean(key);
  };
  /** Prices, the token counter and the ledger: chat answers and batch requests are counted alike. */
  const meter = {
    cost: (model: string, usage: Usage) => prices.cost(model, usage),
    countTokens,
    record: (answer: AnswerUsage) => {
      const before = ledger.today().cost;
      ledger.record(answer);
      const today = ledger.today();
      statusBar.usage(today, ledger.sessionTotals());
      usageView.refresh();
      budget.answered(before, today.cost);
    },
  };
  /** What interactive requests (the chat, VS Code's language model callers) are metered with: the budget asks first. */
  const askingMeter = { ...meter, allow: (request: BudgetRequest) => budget.allow(request) };
  const classify = lazyClassifier(context.extensionPath, log);
  let commands: Commands | undefined;
  let session: ChatSession | undefined;
  const tools = lazyTools(context.extensionPath, log, {
    maxSelectionChars: () => settings.snapshot.maxSelectionChars,
    proposer: proposals,
    batch: {
      router: () => router,
      ensureKey,
      config: () => settings.snapshot.config,
      maxSelectionChars: () => settings.snapshot.maxSelectionChars,
      log,
      meter,
      addToChat: (entry) => session!.addAnswer(entry),
      discuss: async (entry) => {
        await view.show(true);
        await session!.discuss(entry);
      },
      confirmSend: (text, what) => commands!.confirmNoSecrets(text, what),
      propose: (proposal, signal, options) => proposals.propose(proposal, signal, options),
    },
  });
  session = new ChatSession(
    context.workspaceState,
    () => router,
    ensureKey,
    log,
    () => ({ restricted: settings.snapshot.restricted, hasKey: Boolean(key), models: models() }),
    classify,
    askingMeter,
    new ConversationHistory<UiMessage>(stored('switchboard.history.v1'), restoreMessage),
    tools.loop,
    proposals,
  );
  // VS Code 1.104 and later: Switchboard's models in Copilot Chat's picker and for any extension using vscode.lm.
  const registerLm = providerApi();
  const lmProvider = registerLm
    ? new LmProvider({
        router: () => router,
        hasKey: () => Boolean(key),
        requireKey: ensureKey,
        config: () => settings.snapshot.config,
        classify,
        contextWindow: (m) => prices.contextWindow(m),
        meter: askingMeter,
        log,
        version: String((context.extension.packageJSON as { version?: unknown }).version ?? '0'),
      })
    : undefined;
  if (registerLm && lmProvider) context.subscriptions.push(lmProvider, registerLm(LM_VENDOR, lmProvider));
  const statusBar = new StatusBar();
  statusBar.usage(ledger.today(), ledger.sessionTotals());
  const view = new ChatView(
    context.extensionUri,
    session,
    {
      copy: (t) => commands!.copy(t),
      insert: (t) => commands!.insert(t),
      openLink: (h) => commands!.openLink(h),
      fix: (f) => commands!.fix(f),
      pickModel: () => commands!.pickModel(),
      attach: () => commands!.attachToChat(),
      conversation: (id, action) => commands!.conversation(id, action),
    },
    log,
  );
  const healthView = new HealthView(context.extensionUri, health, () => ({
    gateway: settings.snapshot.connection.baseURL,
    firstTokenMs: settings.snapshot.config.timeouts.firstTokenMs,
  }));
  commands = new Commands(session, view, secrets, settings, log, picker, { usage: usageView, health: healthView, walkthrough: () => openWalkthrough(context.extension.id) }, tools, {
    plan: (task) => router?.route({ task }),
    skipReason: (model) => health.skipReason(model),
    resetHealth: () => health.reset(),
  });

  context.subscriptions.push(
    log,
    health,
    settings,
    secrets,
    session,
    proposals,
    tools,
    statusBar,
    view,
    commands,
    usageView,
    healthView,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, view),
    secrets.onDidChange(async () => {
      await rebuild();
      session.publish();
      lmProvider?.refresh();
    }),
    settings.onDidChange(async (snap) => {
      await rebuild();
      lmProvider?.refresh();
      log.info(`settings changed; gateway ${snap.connection.baseURL}`);
      session.publish();
      usageView.refresh();
    }),
    session.onBusy(({ busy, model }) => statusBar.update(busy, model)),
  );
  settings.warn();
  void showWalkthroughOnFirstRun(context, log);
  // As VS Code counts it (Developer: Show Running Extensions): loading our code plus the activate() call,
  // not the time VS Code itself spends between the two.
  const loadMs = bundleEvaluated - bundleEvaluationStarted;
  const activateMs = performance.now() - started;
  const activationMs = loadMs + activateMs;
  log.info(
    `activated in ${activationMs.toFixed(1)} ms (evaluating the bundle ${loadMs.toFixed(1)} ms, activate() ${activateMs.toFixed(1)} ms); gateway ${settings.snapshot.connection.baseURL}; health of ${restored} model${restored === 1 ? '' : 's'} restored in ${restoreMs.toFixed(2)} ms`,
  );
  if (context.extensionMode !== vscode.ExtensionMode.Test) return { activationMs };
  return {
    activationMs,
    test: { session, settings, router: () => router, storeKey: (k) => secrets.store(k), usage: () => ledger.today(), ...(lmProvider ? { lmProvider } : {}) },
  };
}

/**
 * `npm start` runs the extension against the local simulator with a demo key from SWITCHBOARD_DEMO_KEY.
 * It is honoured only while the gateway is on loopback, so it can never send anything off the machine;
 * OPENAI_API_KEY and the other OPENAI_* variables are never read.
 */
function demoKey(baseURL: string): string | undefined {
  const key = process.env.SWITCHBOARD_DEMO_KEY;
  if (!key) return undefined;
  return isLoopback(new URL(baseURL)) ? key : undefined;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
