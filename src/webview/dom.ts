/** A tiny element builder. Text children become text nodes: nothing passed here is parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: (Node | string | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child !== undefined && child !== false) el.append(child);
  return el;
}

/** A button that the view's single click handler dispatches on `data-action`. */
export function actionButton(action: string, label: string, attrs: Record<string, string | undefined> = {}): HTMLButtonElement {
  return h('button', { type: 'button', 'data-action': action, ...attrs }, label);
}
