/** Entry of the chat webview bundle: validates what the host sends and hands it to the app. */
import { parseHostMessage } from '../protocol';
import { ChatApp } from './app';

const api = acquireVsCodeApi();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
const app = new ChatApp(root, api);

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseHostMessage(event.data);
  if (!message) {
    console.warn('Switchboard: ignored a malformed message from the extension', event.data);
    return;
  }
  app.receive(message);
});

api.postMessage({ type: 'ready' });
