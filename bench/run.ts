/** `npm run bench`: every benchmark in one run, a readable table, and bench/results.json ({"metric": number}). */
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureClassify } from './classify';
import { measureCore } from './core';
import { measureCost } from './cost';
import { measureHost } from './host';
import { measureRender } from './render';
import { measureTools } from './tools';
import { measureBatch } from './batch';
import { measureResilience } from './resilience';
import { measureLm } from './lm';

const root = join(__dirname, '..');
const kb = (file: string) => Math.round((statSync(join(root, file)).size / 1024) * 10) / 10;

interface Row {
  metric: string;
  value: number;
  goal: string;
  ok: boolean;
}

async function main() {
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const results: Record<string, number> = {};
  const rows: Row[] = [];
  const add = (metric: string, value: number, goal: string, ok: boolean) => {
    results[metric] = value;
    rows.push({ metric, value, goal, ok });
  };

  if (want('core')) {
    const core = await measureCore((l) => console.log(`  ${l}`));
    add('router_overhead_p50_ms', core.router_overhead_p50_ms, '< 1', core.router_overhead_p50_ms < 1);
    add('failover_switch_p50_ms', core.failover_switch_p50_ms, '< 5', core.failover_switch_p50_ms < 5);
    add('breaker_skip_cost_ms', core.breaker_skip_cost_ms, '< 1', core.breaker_skip_cost_ms < 1);
    add('cancel_latency_p50_ms', core.cancel_latency_p50_ms, '< 100 (aim < 10)', core.cancel_latency_p50_ms < 100);
    add('core_heap_mb_1000_requests', core.core_heap_mb_1000_requests, '< 10', core.core_heap_mb_1000_requests < 10);
    add('silent_model_failover_s', core.silent_model_failover_s, '< 16 (LiteLLM ~95, Portkey ~30)', core.silent_model_failover_s < 16);
    add('failover_scenarios_passed', core.failover_scenarios_passed, `= ${core.failover_scenarios_total}`, core.failover_scenarios_passed === core.failover_scenarios_total);
    add('failover_scenarios_total', core.failover_scenarios_total, '>= 16', core.failover_scenarios_total >= 16);
    results.router_ttft_p50_ms = core.router_ttft_p50_ms;
    results.direct_ttft_p50_ms = core.direct_ttft_p50_ms;
    console.log('\nFailover scenarios');
    for (const s of core.scenarios) console.log(`  ${s.passed ? 'PASS' : 'FAIL'}  ${s.name.padEnd(48)} ${String(s.ms).padStart(5)} ms  ${s.passed ? '' : s.detail}`);
  }

  if (want('classify')) {
    const c = measureClassify((l) => console.log(`  ${l}`));
    add('classify_accuracy', c.classify_accuracy, '>= 0.95', c.classify_accuracy >= 0.95);
    add('classify_accuracy_zh', c.classify_accuracy_zh, '>= 0.9', c.classify_accuracy_zh >= 0.9);
    add('classify_p99_us', c.classify_p99_us, '< 100', c.classify_p99_us < 100);
    add('classifier_kb', c.classifier_kb, '< 300', c.classifier_kb < 300);
    results.classify_p50_us = c.classify_p50_us;
    results.classifier_load_ms = c.classifier_load_ms;
    results.classify_heldout_n = c.classify_heldout_n;
  }

  if (want('cost')) {
    const c = await measureCost((l) => console.log(`  ${l}`));
    add('economy_cost_ratio', c.economy_cost_ratio, '< 0.4', c.economy_cost_ratio < 0.4);
    add('economy_premium_share', c.economy_premium_share, 'report', true);
    results.balanced_cost_ratio = c.balanced_cost_ratio;
    results.quality_premium_share = c.quality_premium_share;
    results.cost_requests = c.cost_requests;
    results.quality_cost_usd = c.quality_cost_usd;
  }

  if (want('tools')) {
    const t = await measureTools((l) => console.log(`  ${l}`));
    add('tool_calls_assembled', t.tool_calls_assembled, `= ${t.tool_call_streams} (all)`, t.tool_calls_assembled === t.tool_call_streams && t.tool_call_streams > 0);
    add('tool_loop_overhead_ms', t.tool_loop_overhead_ms, '< 2', t.tool_loop_overhead_ms < 2);
  }

  if (want('batch')) {
    const b = await measureBatch((l) => console.log(`  ${l}`));
    add('batch_speedup_c4', b.batch_speedup_c4, '> 3.5', b.batch_speedup_c4 > 3.5);
    add('batch_429_completion_rate', b.batch_429_completion_rate, '= 1.0', b.batch_429_completion_rate === 1);
    add('batch_429_wall_ratio', b.batch_429_wall_ratio, 'report', true);
    results.batch_serial_s = b.batch_serial_s;
    results.batch_c4_s = b.batch_c4_s;
    results.batch_max_in_flight = b.batch_max_in_flight;
  }

  if (want('resilience')) {
    const h = await measureResilience((l) => console.log(`  ${l}`));
    add('silent_model_failover_learned_s', h.silent_model_failover_learned_s, '< 3 (was 15)', h.silent_model_failover_learned_s < 3);
    add('unhealthy_primary_ttft_ratio', h.unhealthy_primary_ttft_ratio, '< 0.1', h.unhealthy_primary_ttft_ratio < 0.1);
    add('health_restore_ms', h.health_restore_ms, '< 5', h.health_restore_ms < 5);
    add('hedge_p99_ttft_ratio', h.hedge_p99_ttft_ratio, '< 0.5', h.hedge_p99_ttft_ratio < 0.5);
    add('hedge_extra_request_rate', h.hedge_extra_request_rate, '< 0.10', h.hedge_extra_request_rate < 0.1);
    add('pool_burst_429_rate', h.pool_burst_429_rate, '< 0.05', h.pool_burst_429_rate < 0.05);
    add('single_model_burst_429_rate', h.single_model_burst_429_rate, 'report', true);
    add('chaos_soak_lost_text', h.chaos_soak_lost_text, '= 0', h.chaos_soak_lost_text === 0 && h.chaos_soak_bad_endings === 0);
    add('chaos_soak_requests_per_s', h.chaos_soak_requests_per_s, 'report', true);
    add('chaos_soak_heap_growth_mb', h.chaos_soak_heap_growth_mb, 'report', true);
    for (const k of ['learned_deadline_ms', 'unhealthy_with_ms', 'unhealthy_without_ms', 'health_restore_cold_ms', 'hedge_p99_ms', 'unhedged_p99_ms', 'chaos_soak_requests', 'chaos_soak_bad_endings', 'chaos_soak_errors'] as const) {
      results[k] = h[k];
    }
  }

  if (want('lm')) {
    const l = await measureLm((line) => console.log(`  ${line}`));
    add('lm_provider_overhead_ms', l.lm_provider_overhead_ms, '< 5', l.lm_provider_overhead_ms < 5);
    add('lm_provider_cancel_ms', l.lm_provider_cancel_ms, '< 100', l.lm_provider_cancel_ms < 100);
    add('lm_provider_own_overhead_ms', l.lm_provider_own_overhead_ms, 'report (< 1)', true);
    results.lm_ttft_p50_ms = l.lm_ttft_p50_ms;
    results.lm_router_ttft_p50_ms = l.router_ttft_p50_ms;
  }

  if (want('bundle')) {
    // The production build and the .vsix exactly as `npm run package` makes them.
    execFileSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    const ext = kb('dist/extension.js');
    const web = kb('dist/webview.js');
    const vsix = kb('switchboard.vsix');
    add('extension_bundle_kb', ext, '< 400', ext < 400);
    // The openai SDK and the gateway adapter, loaded on the first request rather than at activation.
    const gateway = kb('dist/gateway.js');
    add('gateway_bundle_kb', gateway, '< 250', gateway < 250);
    add('webview_bundle_kb', web, '< 250', web < 250);
    add('vsix_kb', vsix, '< 1024', vsix < 1024);
  }

  if (want('render')) {
    const r = await measureRender((l) => console.log(`  ${l}`));
    add('render_cost_ratio_20k_vs_1k', r.render_cost_ratio_20k_vs_1k, '< 1.5', r.render_cost_ratio_20k_vs_1k < 1.5);
    results.render_chunk_ms_1k = r.render_chunk_ms_1k;
    results.render_chunk_ms_20k = r.render_chunk_ms_20k;
  }

  if (want('host')) {
    const h = await measureHost((l) => console.log(`  ${l}`));
    add('activation_ms', h.activation_ms, '< 50', h.activation_ms < 50);
    add('first_token_to_screen_ms', h.first_token_to_screen_ms, '< 50', h.first_token_to_screen_ms < 50);
  }

  console.log('\nSwitchboard benchmarks');
  console.log(`  ${'metric'.padEnd(34)} ${'value'.padStart(10)}  goal`);
  for (const r of rows) console.log(`  ${r.metric.padEnd(34)} ${String(r.value).padStart(10)}  ${r.goal} ${r.ok ? '✓' : '✗ MISSED'}`);
  const file = join(__dirname, 'results.json');
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
