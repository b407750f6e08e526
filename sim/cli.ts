/**
 * `npm run sim`: tsx sim/cli.ts [--port 4141] [--host 127.0.0.1] [--key sk-switchboard-demo] [--scenario demo]
 * Runs the gateway simulator until SIGINT/SIGTERM. SIM_PORT overrides the default port; --port wins over both.
 */
import { demoAnswer } from './demo';
import type { ModelScript } from './scripts';
import { startSimulator, type SimulatorOptions } from './server';

interface Args {
  port: number;
  host: string;
  key: string;
  scenario: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { port: Number(process.env.SIM_PORT ?? 4141), host: '127.0.0.1', key: 'sk-switchboard-demo', scenario: 'plain' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port':
        args.port = Number(value());
        break;
      case '--host':
        args.host = value();
        break;
      case '--key':
        args.key = value();
        break;
      case '--scenario':
        args.scenario = value();
        break;
      case '--help':
      case '-h':
        console.log('usage: tsx sim/cli.ts [--port 4141] [--host 127.0.0.1] [--key sk-switchboard-demo] [--scenario demo|plain]');
        process.exit(0);
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error(`bad port ${args.port}`);
  return args;
}

const overloaded: ModelScript = {
  fault: {
    type: 'status',
    status: 503,
    delayMs: 150,
    body: { error: { message: 'The server is overloaded or not ready yet.', type: 'server_error', param: null, code: 'service_unavailable' } },
  },
};

/**
 * The demo: paced streams of Markdown answers in the shape of the task each request was routed to (sim/demo.ts:
 * a haiku, a translation, a code review, worked maths…), each naming its model; claude-opus-4 fails every other
 * request so failover shows in the UI.
 */
function scenario(name: string): { options: SimulatorOptions; cycle: Record<string, ModelScript[]> } {
  if (name === 'plain') return { options: {}, cycle: {} };
  if (name !== 'demo') throw new Error(`unknown scenario ${name} (demo, plain)`);
  // agent: a question that names a workspace file is answered by reading it (the chat offers tools).
  const normal: ModelScript = { tokensPerSecond: 60, ttftMs: 200, agent: true };
  return {
    options: {
      text: demoAnswer,
      defaultScript: normal,
      models: { 'gpt-5': { tokensPerSecond: 40, ttftMs: 300, agent: true } },
    },
    cycle: { 'claude-opus-4': [overloaded, normal] },
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { options, cycle } = scenario(args.scenario);
  const sim = await startSimulator({ ...options, port: args.port, host: args.host, apiKey: args.key });
  for (const [model, scripts] of Object.entries(cycle)) sim.setScript(model, scripts, { cycle: true });

  console.log(`Switchboard gateway simulator listening on ${sim.url}`);
  console.log(`  key:      ${args.key}`);
  console.log(`  scenario: ${args.scenario}${args.scenario === 'demo' ? ' (gpt-5 ~40 tok/s, claude-opus-4 answers 503 on every other request, others ~60 tok/s)' : ''}`);
  console.log(`  admin:    POST /__sim/script {model, script, cycle?}, POST /__sim/reset, GET /__sim/requests`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: simulator stopping`);
    void sim.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`simulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
