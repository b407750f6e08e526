import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_CONFIG } from '../../src/core/routes';
import { DEFAULT_TOOL_EXCLUDE } from '../../src/core/tools/paths';
import { TASK_TYPES } from '../../src/core/tasks';
import { SETTING_KEYS } from '../../src/host/settingKeys';
import { parseWebviewMessage, HostMessage } from '../../src/protocol';

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const props = manifest.contributes.configuration.properties as Record<string, any>;

describe('the manifest', () => {
  it('declares exactly the settings the code reads', () => {
    assert.deepEqual(Object.keys(props).sort(), SETTING_KEYS.map((k) => `switchboard.${k}`).sort());
  });

  it('makes the settings that decide where the key goes application-scoped', () => {
    assert.equal(props['switchboard.baseUrl'].scope, 'application');
    assert.equal(props['switchboard.extraHeaders'].scope, 'application');
    assert.equal(props['switchboard.baseUrl'].default, 'https://global.xidao.online/v1');
  });

  it('gives every task type a route schema for IntelliSense', () => {
    assert.deepEqual(Object.keys(props['switchboard.routes'].properties).sort(), [...TASK_TYPES].sort());
    for (const t of TASK_TYPES) assert.deepEqual(Object.keys(props['switchboard.routes'].properties[t].properties).sort(), ['fallbacks', 'maxTokens', 'primary', 'temperature']);
  });

  it('documents the same defaults the router uses', () => {
    assert.deepEqual(props['switchboard.globalFallbacks'].default, DEFAULT_CONFIG.globalFallbacks);
    assert.equal(props['switchboard.timeouts.firstTokenMs'].default, DEFAULT_CONFIG.timeouts.firstTokenMs);
    assert.deepEqual(props['switchboard.tools.exclude'].default, DEFAULT_TOOL_EXCLUDE);
    for (const t of TASK_TYPES) {
      const r = DEFAULT_CONFIG.routes[t];
      assert.match(props['switchboard.routes'].properties[t].markdownDescription, new RegExp(`primary \`${r.primary}\`.*maxTokens ${r.maxTokens}`));
    }
  });

  it('lists restricted configurations for untrusted workspaces', () => {
    const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    assert.ok(restricted.includes('switchboard.routes'));
  });

  it('keeps the Switchboard category on every command, and has the chat view', () => {
    for (const c of manifest.contributes.commands) assert.equal(c.category, 'Switchboard', c.command);
    assert.equal(manifest.contributes.views.switchboard[0].id, 'switchboard.chat');
  });

  it('contributes the language model provider with a management command that exists', () => {
    const [provider] = manifest.contributes.languageModelChatProviders;
    assert.equal(provider.vendor, 'switchboard');
    const commands = manifest.contributes.commands.map((c: { command: string }) => c.command);
    assert.ok(commands.includes(provider.managementCommand), provider.managementCommand);
  });

  it('has a walkthrough whose steps name real commands and media files', () => {
    const [walkthrough] = manifest.contributes.walkthroughs;
    const commands = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
    assert.equal(walkthrough.steps.length, 4);
    for (const step of walkthrough.steps) {
      assert.ok(existsSync(step.media.markdown), step.media.markdown);
      for (const [, command] of String(step.description).matchAll(/\(command:([\w.]+)\)/g)) assert.ok(commands.has(command), `${step.id}: ${command}`);
      assert.ok(step.completionEvents.length > 0, step.id);
    }
  });

  it('shows the editor submenu only with a selection', () => {
    assert.deepEqual(manifest.contributes.menus['editor/context'][0], { submenu: 'switchboard.editorContext', when: 'editorHasSelection', group: '1_modification@90' });
  });
});

describe('webview protocol', () => {
  it('accepts a well-formed send', () => {
    const r = parseWebviewMessage({ type: 'send', text: 'hi', task: 'auto', model: 'auto' });
    assert.ok(r.ok);
  });
  it('rejects unknown types, bad tasks and oversized text with a reason', () => {
    for (const bad of [{ type: 'exec', cmd: 'rm' }, { type: 'send', text: 'x', task: 'hacking', model: 'auto' }, { type: 'send', text: '', task: 'auto', model: 'auto' }, null, 'ready']) {
      const r = parseWebviewMessage(bad);
      assert.equal(r.ok, false, JSON.stringify(bad));
    }
  });
  it('fills defaults in host messages', () => {
    const m = HostMessage.parse({ type: 'append', message: { id: 'a', role: 'assistant', text: '', state: 'streaming' } });
    assert.ok(m.type === 'append' && Array.isArray(m.message.failovers));
  });
});
