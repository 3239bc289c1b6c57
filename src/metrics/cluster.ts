import { AggregatorRegistry } from 'prom-client';
import type { ClusterCaller, PrimaryChannel } from '../cluster/channel.js';
import type { Metrics } from './registry.js';

/** The channel topic on which a worker asks the primary for the whole machine's metrics. */
const TOPIC = 'metrics';

/**
 * A cluster worker's metrics: its own registries are handed to prom-client's cluster support
 * (the primary collects them over IPC), and what GET /metrics renders is the machine's
 * aggregate, asked of the primary, not this worker's share, which a scraper reaching a
 * different worker each time could not add up.
 */
export function workerMetrics(own: Metrics, primary: ClusterCaller): Metrics {
  // Constructing one is what installs prom-client's listener that answers the primary's requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries(own.registries);
  return {
    registries: own.registries,
    contentType: own.contentType,
    render: () => primary.call<string>(TOPIC, null),
  };
}

/**
 * The primary's side: every worker's registries merged (counters and histograms summed,
 * gauges by each metric's `aggregator`), for the workers' GET /metrics and for the
 * KEYWARD_METRICS_PORT listener, which the primary runs itself.
 */
export function primaryMetrics(channel: PrimaryChannel): Metrics {
  const aggregator = new AggregatorRegistry();
  const render = async () => (await aggregator.clusterMetrics()) as string;
  channel.handle(TOPIC, render);
  return { registries: [], contentType: aggregator.contentType as Metrics['contentType'], render };
}
