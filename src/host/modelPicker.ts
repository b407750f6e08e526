import * as vscode from 'vscode';
import { formatPrice, formatTokens, pickerEntries, type CatalogState, type ModelCatalog, type PickerEntry } from '../core/routing/catalog';
import { candidateChain } from '../core/routes';
import { TASK_LABELS, TASK_TYPES } from '../core/tasks';
import type { PriceBook } from '../core/usage/prices';
import type { Log } from './log';
import type { Settings } from './settings';

interface ModelItem extends vscode.QuickPickItem {
  model?: string;
  refresh?: boolean;
}

export const AUTO_MODEL = 'auto';

/**
 * `Switchboard: Pick Model` and the chat's "Browse all models…": a searchable QuickPick of every model
 * the gateway lists, routed models first, with context window and price where known. The list is read
 * when the picker opens (cached a day per base URL); while it loads, the routed models are already
 * there, and a failure is one quiet line, never a blocked chat.
 */
export class ModelPicker {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly settings: Settings,
    private readonly prices: PriceBook,
    /** `GET /models` with the current key, or undefined when no key is set. */
    private readonly list: () => Promise<unknown[]> | undefined,
    private readonly log: Log,
  ) {}

  /** Resolves with the chosen model (`auto` for routed), or undefined when dismissed. */
  async pick(current: string): Promise<string | undefined> {
    const baseURL = () => this.settings.snapshot.connection.baseURL;
    const qp = vscode.window.createQuickPick<ModelItem>();
    qp.title = 'Switchboard: Pick Model';
    qp.placeholder = 'Search the gateway’s models: the chosen model answers first, the task’s chain stays as fallback';
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    const refreshButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('refresh'), tooltip: 'Read the gateway’s model list again' };
    qp.buttons = [refreshButton];

    const show = (state: CatalogState, loading: boolean) => {
      qp.busy = loading;
      const items = this.items(state, current, loading);
      const active = items.find((i) => i.model === current);
      qp.items = items;
      if (active) qp.activeItems = [active];
    };
    const refresh = async () => {
      const list = this.list();
      if (!list) {
        show({ models: [], error: 'no API key is set' }, false);
        return;
      }
      show(this.catalog.state(baseURL()), true);
      const state = await this.catalog.refresh(baseURL(), () => list);
      if (state.error) this.log.warn(`model catalog: GET /models failed: ${state.error}`);
      else this.log.info(`model catalog: ${state.models.length} models from ${baseURL()}`);
      show(state, false);
    };

    return new Promise<string | undefined>((resolve) => {
      let chosen: string | undefined;
      qp.onDidTriggerButton(() => void refresh());
      qp.onDidAccept(() => {
        const item = qp.selectedItems[0];
        if (item?.refresh) {
          void refresh();
          return;
        }
        if (item?.model) {
          chosen = item.model;
          qp.hide();
        }
      });
      qp.onDidHide(() => {
        qp.dispose();
        resolve(chosen);
      });
      show(this.catalog.state(baseURL()), false);
      qp.show();
      if (this.catalog.stale(baseURL())) void refresh();
    });
  }

  private items(state: CatalogState, current: string, loading: boolean): ModelItem[] {
    const config = this.settings.snapshot.config;
    const routes = TASK_TYPES.map((t) => ({ task: TASK_LABELS[t], models: candidateChain(config, t) }));
    const entries = pickerEntries(state.models, routes);
    const routed = entries.filter((e) => e.routedFor.length > 0);
    const others = entries.filter((e) => e.routedFor.length === 0);
    const items: ModelItem[] = [
      { label: '$(sparkle) Routed', description: 'each request goes to its task’s model', model: AUTO_MODEL },
    ];
    if (state.error) {
      items.push({
        label: '$(warning) Could not list the gateway’s models',
        description: state.models.length ? 'showing the list read earlier' : 'showing the routed models',
        detail: `${state.error} · choose to try again`,
        refresh: true,
        alwaysShow: true,
      });
    }
    items.push({ label: 'Routed models', kind: vscode.QuickPickItemKind.Separator });
    items.push(...routed.map((e) => this.item(e, current)));
    const otherLabel = loading && !state.models.length ? 'Reading the gateway’s models…' : `Other models the gateway lists (${others.length})`;
    items.push({ label: otherLabel, kind: vscode.QuickPickItemKind.Separator });
    items.push(...others.map((e) => this.item(e, current)));
    return items;
  }

  private item(e: PickerEntry, current: string): ModelItem {
    const published = this.catalog.info(e.id);
    const priced = this.prices.pricing(e.id);
    const window = published?.contextWindow ?? priced?.contextWindow;
    const price =
      published?.inputPerMTok !== undefined && published.outputPerMTok !== undefined
        ? formatPrice(published.inputPerMTok, published.outputPerMTok)
        : priced
          ? `${formatPrice(priced.inputPerMTok, priced.outputPerMTok)}${priced.approximated ? ' (approx.)' : ''}`
          : undefined;
    const description = [window ? `${formatTokens(window)} context` : undefined, price].filter(Boolean).join(' · ');
    const detail = [e.routedFor.length ? `Routed for ${e.routedFor.join(', ')}` : undefined, e.listed ? undefined : '$(warning) not in the gateway’s list'].filter(Boolean).join(' · ');
    return {
      label: e.id,
      ...(description ? { description } : {}),
      ...(detail ? { detail } : {}),
      model: e.id,
      ...(e.id === current ? { iconPath: new vscode.ThemeIcon('check') } : {}),
    };
  }
}
