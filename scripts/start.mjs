// `npm start`: build and package the extension, install it into code-server (installed into
// .vscode-test/ first if missing), start the gateway simulator, point the extension at it with a demo
// key and print the URL to open. Ctrl+C stops everything this script started.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXAMPLE_TS } from './demoWorkspace.mjs';
import { ensureCodeServer } from './provision.mjs';
import { installVsix, startCodeServer, workbenchUrl } from './codeserver.mjs';

const root = resolve(import.meta.dirname, '..');
const state = join(root, '.vscode-test', 'demo');
const port = Number(process.env.PORT ?? 8080);
const simPort = Number(process.env.SIM_PORT ?? 4141);
const demoKey = 'sk-switchboard-demo';

const step = (msg) => console.log(`\n▶ ${msg}`);

step('building and packaging the extension');
execFileSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: 'inherit' });
const vsix = 'switchboard.vsix';

step('making sure code-server is installed');
const codeServer = await ensureCodeServer();

step('installing the extension into code-server');
const extensionsDir = join(state, 'extensions');
const userDataDir = join(state, 'user-data');
const workspace = join(state, 'workspace');
rmSync(extensionsDir, { recursive: true, force: true });
mkdirSync(workspace, { recursive: true });
await installVsix(codeServer, extensionsDir, join(root, vsix));
writeFileSync(join(workspace, 'example.ts'), EXAMPLE_TS);

step(`starting the gateway simulator on http://127.0.0.1:${simPort}/v1 (demo scenario)`);
const sim = spawn(process.execPath, ['--import', 'tsx', join(root, 'sim', 'cli.ts'), '--port', String(simPort), '--key', demoKey, '--scenario', 'demo'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});

step(`starting code-server on http://127.0.0.1:${port}`);
const server = await startCodeServer({
  codeServerBin: codeServer,
  folder: workspace,
  userDataDir,
  extensionsDir,
  port,
  userSettings: {
    'switchboard.baseUrl': `http://127.0.0.1:${simPort}/v1`,
    'workbench.colorTheme': 'Default Dark Modern',
    // The demo workspace sits inside this repository; don't offer to open the repository around it.
    'git.openRepositoryInParentFolders': 'never',
  },
  // Honoured by the extension only while the gateway is on loopback (see src/extension.ts).
  env: { SWITCHBOARD_DEMO_KEY: demoKey },
}).catch((err) => {
  sim.kill('SIGTERM'); // don't leave the simulator running when code-server cannot start (e.g. the port is taken)
  throw err;
});

console.log(`
  Switchboard is running in VS Code (code-server):

      ${workbenchUrl(server, workspace)}

  Open it in a browser and click the Switchboard icon in the activity bar. Each request is routed to
  the model for its task, and the simulator answers in that task's shape, naming the model. Try:
    - ask for a haiku:               write a haiku about rain
    - paste a Chinese sentence:      Translate into English: 早上好
      (or select the comment on line 1 of example.ts → right-click → Switchboard → Translate Comment)
    - solve an equation:             solve x^2-5x+6=0
    - review the loop in example.ts: select it → right-click → Switchboard → Review Selection
  The simulator's claude-opus-4 fails every other request, so you will see a failover note now and then.
  Press Ctrl+C to stop.
`);

const stop = async () => {
  sim.kill('SIGTERM');
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
