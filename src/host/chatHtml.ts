import { webviewPage } from './webviewPage';

/** The chat webview's page and its Content-Security-Policy (no `vscode` import: the webview tests serve it too). */
export interface ChatPage {
  /** `webview.cspSource`: the only origin styles, fonts and images may come from. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

export function chatHtml({ cspSource, nonce, scriptUri, styleUri }: ChatPage): string {
  const csp = [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ];
  return webviewPage({ csp, styleUri, title: 'Switchboard Chat', body: `<div id="app"></div>\n<script nonce="${nonce}" src="${scriptUri}"></script>` });
}
