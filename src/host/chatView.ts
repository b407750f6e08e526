import * as vscode from 'vscode';
import { chatHtml } from './chatHtml';
import { parseWebviewMessage, type HostMessage, type WebviewMessage } from '../protocol';
import type { ChatSession } from './chatSession';
import { Disposable } from './lifecycle';
import type { Log } from './log';

export const CHAT_VIEW_ID = 'switchboard.chat';

export interface ChatViewActions {
  copy(text: string): Promise<void>;
  insert(text: string): Promise<void>;
  openLink(href: string): Promise<void>;
  fix(fix: 'setApiKey' | 'openSettings'): Promise<void>;
  pickModel(): Promise<void>;
  /** The chat's "+ Context" control: pick the selection, the active file or another file. */
  attach(): Promise<void>;
  /** A conversation of the history: reopen, rename (asks for the title) or delete (asks first). */
  conversation(id: string, action: 'open' | 'rename' | 'delete'): Promise<void>;
}

/**
 * The sidebar chat: a webview that renders the session. Messages wait for the webview's `ready`;
 * on every (re)creation the view gets one snapshot, then deltas.
 */
export class ChatView extends Disposable implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private pendingFocus = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly session: ChatSession,
    private readonly actions: ChatViewActions,
    private readonly log: Log,
  ) {
    super();
    this._register(session.onPost((m) => this.post(m)));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    view.webview.options = {
      enableScripts: true,
      enableForms: false,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    view.webview.html = this.html(view.webview);
    const subscriptions = [
      view.webview.onDidReceiveMessage((data) => this.receive(data)),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = undefined;
          this.ready = false;
        }
        for (const s of subscriptions) s.dispose();
      }),
    ];
  }

  /** Reveals the chat and puts the cursor in its input. */
  async show(focusInput = false): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (focusInput) {
      if (this.ready) this.post({ type: 'focusInput' });
      else this.pendingFocus = true;
    }
  }

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  private post(message: HostMessage): void {
    // Before `ready` nothing is lost: the snapshot sent on `ready` carries the whole conversation.
    if (!this.view || !this.ready) return;
    void this.view.webview.postMessage(message);
  }

  private async receive(data: unknown): Promise<void> {
    const parsed = parseWebviewMessage(data);
    if (!parsed.ok) {
      this.log.warn(`ignored a malformed message from the chat view: ${parsed.error}`);
      return;
    }
    const message: WebviewMessage = parsed.message;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.session.publish();
        if (this.pendingFocus) {
          this.pendingFocus = false;
          this.post({ type: 'focusInput' });
        }
        return;
      case 'send':
        return this.session.send(message.text, message.task, message.model);
      case 'stop':
        return this.session.stop();
      case 'retry':
        return this.session.retry(message.id);
      case 'reroute':
        return this.session.reroute(message.id, message.task);
      case 'newChat':
        return this.session.newChat();
      case 'copy':
        return this.actions.copy(message.text);
      case 'insert':
        return this.actions.insert(message.text);
      case 'replaceComment':
        return this.session.replaceComment(message.id);
      case 'openLink':
        return this.actions.openLink(message.href);
      case 'draft':
        return this.session.setDraft(message.text);
      case 'pick':
        return this.session.pick(message.task, message.model);
      case 'fix':
        return this.actions.fix(message.fix);
      case 'pickModel':
        return this.actions.pickModel();
      case 'proposal':
        return this.session.decideProposal(message.id, message.step, message.decision);
      case 'attach':
        return this.actions.attach();
      case 'removeChip':
        return this.session.removeChip(message.id);
      case 'conversation':
        return this.actions.conversation(message.id, message.action);
      default: {
        const never: never = message;
        this.log.warn(`unhandled chat view message ${JSON.stringify(never)}`);
      }
    }
  }

  private html(webview: vscode.Webview): string {
    const nonce = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'chat.css'));
    return chatHtml({ cspSource: webview.cspSource, nonce, scriptUri: script.toString(), styleUri: style.toString() });
  }
}
