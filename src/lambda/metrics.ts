// The handlers' CloudWatch metrics, as EMF lines built by Powertools Metrics (namespace `Tunelake`,
// default dimension `service=tunelake`; the stack's alarms read exactly these). Counts without a
// dimension of their own share one EMF blob whose only dimension is `service`; a per-table or per-stage
// figure goes in a blob of its own with that extra dimension, so that the alarms' metrics keep the
// single `service` dimension they are defined on.
//
// Lines are written through `write` (default stdout, where Lambda's log agent picks EMF up), so the
// harness can send them to stderr and keep stdout for its result.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'Tunelake';
export const METRICS_SERVICE = 'tunelake';

export type PipelineMetricName =
  | 'PipelineSucceeded'
  | 'ExtractRequests'
  | 'ExtractRetries'
  | 'RecordsLanded'
  | 'RowsWritten'
  | 'RecordsQuarantined'
  | 'InsightsRefreshed'
  | 'BriefPublished'
  | 'CrawlerStarted';

export interface PipelineMetrics {
  /** A Count with the `service` dimension only. */
  count(name: PipelineMetricName, value: number): void;
  /** RowsWritten for one table (dimensions service, table). */
  tableRows(table: string, rows: number): void;
  /** RunDurationMs of a stage (dimensions service, stage). */
  duration(stage: 'extract' | 'transform' | 'catalog', ms: number): void;
  /** Writes every recorded metric as EMF lines and forgets them. */
  publish(): void;
}

export interface PipelineMetricsDeps {
  /** Where each EMF line goes (default: stdout). */
  write?: (line: string) => void;
}

export function createPipelineMetrics(deps: PipelineMetricsDeps = {}): PipelineMetrics {
  const write = deps.write ?? ((line: string) => process.stdout.write(line));
  const make = () => new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });
  let main: Metrics | undefined;
  let extra: Metrics[] = [];

  return {
    count(name, value) {
      main ??= make();
      main.addMetric(name, MetricUnit.Count, value);
    },
    tableRows(table, rows) {
      const m = make();
      m.addDimension('table', table);
      m.addMetric('RowsWritten', MetricUnit.Count, rows);
      extra.push(m);
    },
    duration(stage, ms) {
      const m = make();
      m.addDimension('stage', stage);
      m.addMetric('RunDurationMs', MetricUnit.Milliseconds, Math.max(0, Math.round(ms)));
      extra.push(m);
    },
    publish() {
      for (const m of [...(main ? [main] : []), ...extra]) {
        write(`${JSON.stringify(m.serializeMetrics())}\n`);
        m.clearMetrics();
      }
      main = undefined;
      extra = [];
    },
  };
}
