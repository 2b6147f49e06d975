// Request counters, for tests ("did the client retry?") and benchmarks ("how many calls did a run
// cost?"). Control endpoints (/_emulator/...) are not counted.

export interface InjectedCounts {
  '429': number;
  '5xx': number;
  truncated: number;
  reset: number;
  tokenExpiry: number;
  '404': number;
}

export interface EmulatorStats {
  total: number;
  /** Keyed by method and route template, e.g. `GET /v1/playlists/{id}/items`. */
  byRoute: Record<string, number>;
  /** Keyed by HTTP status, e.g. `200`; reset connections are counted under `reset`. */
  byStatus: Record<string, number>;
  tokenRequests: number;
  injected: InjectedCounts;
}

export interface StatsRecorder {
  record(route: string, status: number | 'reset'): void;
  inject(kind: keyof InjectedCounts): void;
  tokenRequest(): void;
  snapshot(): EmulatorStats;
  reset(): void;
}

function empty(): EmulatorStats {
  return {
    total: 0,
    byRoute: {},
    byStatus: {},
    tokenRequests: 0,
    injected: { '429': 0, '5xx': 0, truncated: 0, reset: 0, tokenExpiry: 0, '404': 0 },
  };
}

export function createStatsRecorder(): StatsRecorder {
  let stats = empty();
  return {
    record: (route, status) => {
      stats.total++;
      stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
      const key = String(status);
      stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
    },
    inject: (kind) => {
      stats.injected[kind]++;
    },
    tokenRequest: () => {
      stats.tokenRequests++;
    },
    snapshot: () => structuredClone(stats),
    reset: () => {
      stats = empty();
    },
  };
}
