import * as vscode from 'vscode';
import { Disposable } from './lifecycle';

/**
 * One script-free editor panel (Show Usage, Show Model Health): opened or revealed by its command,
 * re-rendered when its data changes, and brought back after a reload (VS Code restores it through the
 * serializer; the data comes from globalState). Command links are allowed only for `commandUris`.
 */
export abstract class EditorPanel extends Disposable {
  private panel: vscode.WebviewPanel | undefined;

  constructor(
    protected readonly extensionUri: vscode.Uri,
    private readonly viewType: string,
    private readonly title: string,
    private readonly commandUris: readonly string[] = [],
  ) {
    super();
    this._register(
      vscode.window.registerWebviewPanelSerializer(viewType, {
        deserializeWebviewPanel: async (panel) => this.adopt(panel),
      }),
    );
  }

  /** The page for the panel's current data. */
  protected abstract html(page: { cspSource: string; styleUri: string }): string;

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      this.render();
      return;
    }
    this.adopt(vscode.window.createWebviewPanel(this.viewType, this.title, vscode.ViewColumn.Active, this.options()));
  }

  /** After the data changed (an answer, a setting). */
  refresh(): void {
    this.render();
  }

  protected get visible(): boolean {
    return this.panel?.visible ?? false;
  }

  private options(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: false,
      enableForms: false,
      enableCommandUris: this.commandUris.length ? this.commandUris : false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    this.panel = panel;
    panel.webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = undefined;
    });
    panel.onDidChangeViewState(() => {
      if (panel.visible) this.render();
    });
    this.render();
  }

  private render(): void {
    const panel = this.panel;
    if (!panel) return;
    const style = panel.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'panel.css'));
    panel.webview.html = this.html({ cspSource: panel.webview.cspSource, styleUri: style.toString() });
  }

  override dispose(): void {
    this.panel?.dispose();
    super.dispose();
  }
}
