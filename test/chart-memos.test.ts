/**
 * Files the charts make once per process, or once per distinct input, instead of once per site:
 * what they give is what the uncached code gives, and an input the cache key missed would fail
 * here (each input of the document changed alone gives the document of that input).
 */
import { parse } from 'yaml';
import { blackboxConfig } from '../charts/monitoring/blackbox';
import { healthSignalMetric, healthSignalQueries } from '../charts/monitoring/sql-exporter';
import type { HealthSignal } from '../charts/lib/resilience';

type Signal = Pick<HealthSignal, 'name' | 'summary'> & { source: Pick<HealthSignal['source'], 'query'> };

const signal = (name: string, query: string, summary: string): Signal => ({ name, summary, source: { query } });

/** The queries file as the exporter reads it, built from the signals directly. */
function expected(signals: readonly Signal[]): unknown {
  return Object.fromEntries(
    signals.map((s) => [
      healthSignalMetric(s).replace(/_value$/, ''),
      { query: s.source.query, metrics: [{ value: { usage: 'GAUGE', description: s.summary } }] },
    ]),
  );
}

it('gives each set of health signals its own queries file, whichever was made before', () => {
  const base = [
    signal('PostgresStandbyNotStreaming', 'SELECT 1 AS value', 'not streaming'),
    signal('PostgresLag', 'SELECT 2 AS value', 'lag'),
  ];
  const variants: Signal[][] = [
    base,
    [signal('PostgresStandbyStreaming', 'SELECT 1 AS value', 'not streaming'), base[1]!],
    [signal('PostgresStandbyNotStreaming', 'SELECT 3 AS value', 'not streaming'), base[1]!],
    [signal('PostgresStandbyNotStreaming', 'SELECT 1 AS value', 'not streaming at all'), base[1]!],
    [base[1]!, base[0]!],
    [base[0]!],
    base,
  ];
  for (const signals of variants) {
    const text = healthSignalQueries(signals as HealthSignal[]);
    expect(parse(text)).toEqual(expected(signals));
    expect(Object.keys(parse(text) as object)).toEqual(Object.keys(expected(signals) as object));
  }
  expect(healthSignalQueries(base as HealthSignal[])).toBe(healthSignalQueries([...base] as HealthSignal[]));
});

it('makes the blackbox configuration once, the same text each time', () => {
  expect(blackboxConfig()).toBe(blackboxConfig());
  expect(Object.keys((parse(blackboxConfig()) as { modules: object }).modules)).toHaveLength(2);
});
