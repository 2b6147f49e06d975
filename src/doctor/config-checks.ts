// The configuration group: every setting with its value and where it came from (flag, env, file,
// default), secrets masked, and a plain line when tunelake runs against its built-in emulator.
import type { Config } from '../config.js';
import { Secret } from '../secret.js';
import { SETTINGS } from '../settings.js';
import { checksOf, type DoctorCheck } from './check.js';

export interface EmulatorInfo {
  url: string;
  tier: string;
}

export function configChecks(config: Config, emulator: EmulatorInfo | undefined): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const lines = checksOf('configuration', out);
  lines.ok('config.file', {
    summary: `config file: ${config.configFile ?? '(none)'}`,
    evidence: config.configFile
      ? `read ${config.configFile}`
      : 'no --config, no TUNELAKE_CONFIG and no tunelake.config.json in the working directory',
  });
  lines.ok('config.credentialsFile', {
    summary: `credentials file: ${config.credentialsFile}`,
    evidence: 'where `tunelake login` keeps the refresh token',
  });
  // Every setting of the table (src/settings.ts), in its order, with where its value came from.
  for (const setting of SETTINGS) {
    const key = setting.key;
    if (key === 'configFile' || key === 'credentialsFile') continue; // the two lines above
    const origin = config.origins[key] ?? 'default';
    const fromEnv = origin === 'env' && setting.env ? ` (${setting.env.join(' or ')})` : '';
    lines.ok(`config.${key}`, {
      summary: `${key} = ${show(valueAt(config, key), setting.secret === true)}`,
      evidence: `origin: ${origin}${fromEnv}`,
    });
  }
  if (emulator) {
    lines.warn('config.emulator', {
      summary: `using the emulator: no SPOTIFY_CLIENT_ID is set, so tunelake talks to its built-in Spotify emulator (${emulator.tier} tier)`,
      evidence: `emulator at ${emulator.url}, generated catalogue, demo sources when none are configured`,
      fix: 'set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET (from the Spotify developer dashboard) to use the real API',
    });
  }
  return out;
}

function valueAt(config: Config, key: string): unknown {
  let value: unknown = config;
  for (const part of key.split('.')) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

function show(value: unknown, secret: boolean): string {
  if (value === undefined) return '(not set)';
  if (value instanceof Secret) return value.masked();
  if (secret) return '(set)';
  if (typeof value === 'string') return value;
  if (isSources(value)) {
    const me = Object.entries(value.me)
      .filter(([, on]) => on)
      .map(([k]) => k);
    return (
      `${value.playlists.length} playlists, ${value.artists.length} artists, ${value.search.length} searches` +
      `${me.length ? `, me: ${me.join(', ')}` : ''}`
    );
  }
  return JSON.stringify(value);
}

function isSources(value: unknown): value is Config['sources'] {
  return !!value && typeof value === 'object' && 'playlists' in value && 'me' in value;
}
