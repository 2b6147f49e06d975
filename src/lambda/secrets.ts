// The Spotify credentials of a deployed pipeline: a Secrets Manager secret whose SecretString is JSON
// `{"client_id": "...", "client_secret": "...", "refresh_token": "..."}`, read with Powertools
// Parameters (cached in memory, so a warm function does not call Secrets Manager on every invocation).
// The stack creates the secret empty (`{}`): until someone puts the credentials in it, every extract
// fails with an error that says which secret and the command that fills it.

import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import type { SpotifyCredentials } from '../config.js';
import { TunelakeError } from '../errors.js';
import { registerSecretValue, type Secret } from '../secret.js';

/** How long a fetched secret is reused (Powertools' default is 5 s; the credentials rarely change). */
const MAX_AGE_SECONDS = 300;

/** The SDK client the secret is read with (tests pass one configured for moto). */
export type SecretsClientLike = SecretsManagerClient;

export interface SpotifySecretDeps {
  /** A Secrets Manager client to read with (tests pass moto's); default: Powertools' own `getSecret`. */
  secretsClient?: SecretsManagerClient;
  /** Bypass the cache (the harness, tests that change the secret between invocations). */
  forceFetch?: boolean;
}

const secretSchema = z.object({
  client_id: z.string().trim().min(1).optional(),
  client_secret: z.string().trim().min(1).optional(),
  refresh_token: z.string().trim().min(1).optional(),
});

export async function loadSpotifyCredentials(
  secretId: string,
  deps: SpotifySecretDeps = {},
): Promise<SpotifyCredentials> {
  const fix =
    `aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string ` +
    `'{"client_id":"...","client_secret":"...","refresh_token":"..."}'`;
  let value: unknown;
  try {
    // A token this container wrote back is newer than Powertools' cached copy.
    const forceFetch = deps.forceFetch || rewritten.delete(secretId) || undefined;
    const options = { transform: 'json' as const, maxAge: MAX_AGE_SECONDS, forceFetch };
    if (deps.secretsClient) {
      const { SecretsProvider } = await import('@aws-lambda-powertools/parameters/secrets');
      value = await new SecretsProvider({ awsSdkV3Client: deps.secretsClient }).get(secretId, options);
    } else {
      value = await getSecret(secretId, options);
    }
  } catch (error) {
    throw secretsError(secretId, error, fix);
  }
  const parsed = secretSchema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new TunelakeError(
      'AUTH_INVALID_CLIENT',
      `The Spotify credentials secret ${secretId} is not the JSON object tunelake expects ` +
        `(${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}). Set it with: ${fix}`,
      { details: { secretId } },
    );
  }
  const { client_id, client_secret, refresh_token } = parsed.data;
  for (const v of [client_secret, refresh_token]) if (v) registerSecretValue(v);
  if (!client_id) {
    throw new TunelakeError(
      'AUTH_INVALID_CLIENT',
      `The Spotify credentials secret ${secretId} has no client_id: it is empty until you set it. ` +
        `Put your Spotify app's credentials in it: ${fix}`,
      { details: { secretId } },
    );
  }
  return { clientId: client_id, clientSecret: client_secret, refreshToken: refresh_token };
}

/** Secrets this container has written a rotated refresh token to: read afresh, not from the cache. */
const rewritten = new Set<string>();

/**
 * Writes a refresh token that Spotify rotated on refresh into the secret, keeping its other keys
 * (#14): read the current value, replace `refresh_token`, put a new version. The function's role
 * needs secretsmanager:PutSecretValue on it (infra/tunelake-stack.ts grants it). The token is
 * never logged; an error names the secret only.
 */
export async function saveRefreshTokenToSecret(
  secretId: string,
  token: Secret,
  deps: { secretsClient?: SecretsManagerClient } = {},
): Promise<void> {
  const client = deps.secretsClient ?? new SecretsManagerClient({});
  try {
    const current = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const parsed = current.SecretString ? (JSON.parse(current.SecretString) as Record<string, unknown>) : {};
    await client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: JSON.stringify({ ...parsed, refresh_token: token.reveal() }),
      }),
    );
    rewritten.add(secretId);
  } catch (error) {
    const name = (error as { name?: string })?.name ?? 'Error';
    throw new TunelakeError(
      'STORAGE_FAILED',
      `Could not write the rotated Spotify refresh token to the secret ${secretId} (${name}). The function's ` +
        'role needs secretsmanager:GetSecretValue and secretsmanager:PutSecretValue on it; if the next run ' +
        'fails with invalid_grant, run `tunelake login` and put the new token in the secret.',
      { cause: error, details: { secretId } },
    );
  } finally {
    if (!deps.secretsClient) client.destroy();
  }
}

function secretsError(secretId: string, error: unknown, fix: string): TunelakeError {
  // Powertools wraps the SDK's error as GetParameterError with the original as `cause`.
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const name = (cause as { name?: string })?.name ?? 'Error';
  const message = (cause as { message?: string })?.message ?? String(cause);
  if (name === 'ResourceNotFoundException' && /value/i.test(message)) {
    // The secret exists but was created without a value (no AWSCURRENT version yet).
    return new TunelakeError(
      'AUTH_INVALID_CLIENT',
      `The Spotify credentials secret ${secretId} has no value yet. Put your Spotify app's credentials in it: ${fix}`,
      { cause: error, details: { secretId } },
    );
  }
  if (name === 'ResourceNotFoundException') {
    return new TunelakeError(
      'CONFIG_INVALID',
      `The Spotify credentials secret ${secretId} (TUNELAKE_SPOTIFY_SECRET_ID) does not exist: ${message}`,
      { cause: error, details: { secretId } },
    );
  }
  if (name === 'AccessDeniedException') {
    return new TunelakeError(
      'STORAGE_FAILED',
      `Cannot read the Spotify credentials secret ${secretId}: ${message} The function's role needs secretsmanager:GetSecretValue on it.`,
      { cause: error, details: { secretId } },
    );
  }
  if (error instanceof SyntaxError || /transform|JSON/i.test(String((error as Error)?.message))) {
    return new TunelakeError(
      'AUTH_INVALID_CLIENT',
      `The Spotify credentials secret ${secretId} is not valid JSON. Set it with: ${fix}`,
      { cause: error, details: { secretId } },
    );
  }
  // Throttling, 5xx, network: worth a retry by Lambda.
  return new TunelakeError('STORAGE_FAILED', `Cannot read the secret ${secretId}: ${name}: ${message}`, {
    cause: error,
    retryable: true,
    details: { secretId },
  });
}
