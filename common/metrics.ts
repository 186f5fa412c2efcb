// Prometheus metrics (prom-client): each long-running command registers its series in one
// registry and serves it on --metrics-port (GET /metrics) when asked.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Option } from 'commander';
import client from 'prom-client';
import { nonNegativeInt } from './cli/options.js';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'vsp_' });

/** Latency buckets (seconds) from 1 ms to 60 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function counter(name: string, help: string, labelNames: string[] = []): client.Counter {
  return new client.Counter({ name, help, labelNames, registers: [registry] });
}

export function gauge(name: string, help: string, labelNames: string[] = [], collect?: (this: client.Gauge) => void): client.Gauge {
  return new client.Gauge({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) });
}

export function histogram(name: string, help: string, labelNames: string[] = []): client.Histogram {
  return new client.Histogram({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [registry] });
}

/** The --metrics-port flag every long-running command takes. */
/**
 * A label taking values from outside (camera ids): the first `max` distinct values keep their
 * own series, later ones share "other", so a flood of ids cannot grow the metrics without bound.
 */
export function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

export function metricsPortOption(): Option {
  return new Option('--metrics-port <n>', 'serve Prometheus metrics on 127.0.0.1:<n>/metrics (0 = any free port, printed in the log)').argParser(nonNegativeInt);
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves the registry on host:port; resolves once listening. */
export async function serveMetrics(port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('see /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
