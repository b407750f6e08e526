/** The HTML shell every Switchboard webview uses: its Content-Security-Policy, one style sheet, a body. No `vscode` import. */
export interface PageShell {
  /** The CSP's directives, each like `default-src 'none'`. */
  csp: string[];
  styleUri: string;
  title: string;
  body: string;
}

export function webviewPage({ csp, styleUri, title, body }: PageShell): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp.join('; ')}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}">
<title>${title}</title>
</head>
<body>
${body}
</body>
</html>`;
}
