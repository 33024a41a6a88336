import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchReport } from '../inference/index.js';

/**
 * Prometheus metrics of one server (prom-client, its own registry so that several servers can live
 * in one process, as in tests). Latencies are in seconds, as Prometheus recommends.
 */
export class ServingMetrics {
  readonly registry = new Registry();
  readonly requestSeconds = new Histogram({
    name: 'kws_http_request_duration_seconds',
    help: 'HTTP request latency, seconds',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'kws_batch_size',
    help: 'Clips per inference batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly queueSeconds = new Histogram({
    name: 'kws_batch_queue_seconds',
    help: 'Time a clip waited in the dynamic batcher before its batch was dispatched, seconds',
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly inferenceSeconds = new Histogram({
    name: 'kws_inference_seconds',
    help: 'Engine time per inference batch, seconds',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'kws_batch_queue_depth',
    help: 'Clips waiting in the dynamic batcher',
    registers: [this.registry],
  });
  readonly clips = new Counter({
    name: 'kws_clips_total',
    help: 'Uploaded clips by outcome (ok or an error code)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly answers = new Counter({
    name: 'kws_answers_total',
    help: 'Answers to uploaded clips by model version, final label and reason (MODEL, LOW_CONFIDENCE, LOW_ENERGY, NON_SPEECH): how often each rule decides, for drift and out-of-distribution monitoring',
    labelNames: ['model_version', 'label', 'reason'] as const,
    registers: [this.registry],
  });

  constructor(options: { readonly defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one answer to an upload (the serving service's `onAnswer`). */
  observeAnswer(answer: { readonly modelVersion: number; readonly label: string; readonly reason: string }): void {
    this.answers.inc({ model_version: String(answer.modelVersion), label: answer.label, reason: answer.reason });
  }

  /** Records one dispatched batch (the batcher's `onBatch`). */
  observeBatch(report: BatchReport): void {
    this.batchSize.observe(report.size);
    this.inferenceSeconds.observe(report.runMs / 1000);
    for (const ms of report.queueMs) this.queueSeconds.observe(ms / 1000);
  }
}
