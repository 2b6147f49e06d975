// What the three handlers share: the config (loadConfig, plus the Spotify credentials from Secrets
// Manager when TUNELAKE_SPOTIFY_SECRET_ID is set), the runtime (the same composition root as the CLI),
// Powertools logging and metrics, and the one place where an error becomes a throw or a return.
//
// Errors: a retryable TunelakeError is thrown, so that Lambda's asynchronous invoke retries it (twice)
// and then sends the event to the DLQ; any other error is logged and returned as `{ ok: false, error }`,
// since retrying a bad secret or a bug only repeats it (and costs another Spotify quota slice).
// A 429 whose Retry-After is above TUNELAKE_MAX_RETRY_AFTER (or a spent quota) is terminal too: its
// error is `retryable: false`, and the "not before" time it leaves in the lake's state makes the
// next scheduled invocations return the same terminal error at once, without calling Spotify (#14).
import type { Context } from 'aws-lambda';
import { type Config, type ConfigSpec, loadConfig, withSpotifyCredentials } from '../config.js';
import { toTunelakeError } from '../errors.js';
import type { Logger } from '../log.js';
import { createRuntime, type Runtime, type RuntimeDeps } from '../runtime.js';
import { redact } from '../secret.js';
import { createLambdaLogger, type LambdaLogger } from './logger.js';
import { createPipelineMetrics, type PipelineMetrics } from './metrics.js';
import { loadSpotifyCredentials, type SecretsClientLike, saveRefreshTokenToSecret } from './secrets.js';

/** Effects and clients a handler can be given (the harness and tests); defaults are the Lambda's own. */
export interface HandlerDeps {
  /** The environment the config is read from (default: the process's, read by loadConfig only). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Explicit settings that win over the environment (the harness's flags). */
  spec?: ConfigSpec;
  /** Default: Powertools Logger (JSON on stdout, redacted). */
  logger?: Logger;
  /** Default: Powertools Metrics (EMF on stdout). */
  metrics?: PipelineMetrics;
  s3Client?: RuntimeDeps['s3Client'];
  glueClient?: RuntimeDeps['glueClient'];
  athenaClient?: RuntimeDeps['athenaClient'];
  snsClient?: RuntimeDeps['snsClient'];
  secretsClient?: SecretsClientLike;
  /** Read the secret again instead of using the cached value. */
  forceFetchSecret?: boolean;
  /** Talk to this stand-in for Spotify (the harness and tests): skips the credentials entirely. */
  emulator?: RuntimeDeps['emulator'];
  now?: () => Date;
}

/** A terminal failure, as the handlers return it. */
export interface HandlerFailure {
  ok: false;
  error: { code: string; message: string; retryable: boolean; details: Record<string, unknown> };
}

export interface Invocation {
  config: Config;
  /** The Lambda context (undefined in the harness). */
  context: Context | undefined;
  logger: Logger;
  metrics: PipelineMetrics;
  deps: HandlerDeps;
}

// Built once per container: Powertools' logger and metrics are meant to live across invocations.
let defaultLogger: LambdaLogger | undefined;

/**
 * Runs one invocation: builds the logger and metrics, loads the config, calls `fn`, publishes the
 * metrics, and maps an error to throw (retryable) or `{ ok: false, error }` (terminal).
 */
export async function invoke<T>(
  handler: 'extract' | 'transform' | 'catalog',
  deps: HandlerDeps,
  context: Context | undefined,
  fn: (invocation: Invocation) => Promise<T>,
): Promise<T | HandlerFailure> {
  let logger: Logger;
  if (deps.logger) logger = deps.logger;
  else {
    defaultLogger ??= createLambdaLogger();
    if (context) defaultLogger.addContext(context);
    logger = defaultLogger;
  }
  logger = logger.child({ handler });
  const metrics = deps.metrics ?? createPipelineMetrics();
  try {
    const config = loadConfig(deps.spec ?? {}, deps.env);
    return await fn({ config, context, logger, metrics, deps });
  } catch (error) {
    const err = toTunelakeError(error);
    const fields = { code: err.code, retryable: err.retryable, details: err.details };
    if (err.retryable) {
      logger.error(`${handler} failed; Lambda will retry: ${err.message}`, fields);
      throw err;
    }
    logger.error(`${handler} failed: ${err.message}`, fields);
    return { ok: false, error: JSON.parse(redact(JSON.stringify(err.toJSON()))) } as HandlerFailure;
  } finally {
    metrics.publish();
  }
}

/**
 * The runtime of one invocation. With `spotify`, the credentials come from the secret named by
 * TUNELAKE_SPOTIFY_SECRET_ID when it is set; otherwise from the configuration, or the stand-in the
 * harness hands in (`deps.emulator`). A deployed function never falls back to an emulator.
 */
export async function createHandlerRuntime(
  { config, logger, deps }: Invocation,
  options: { spotify: boolean },
): Promise<Runtime> {
  let effective = config;
  let saveRefreshToken: RuntimeDeps['saveRefreshToken'];
  if (options.spotify && !deps.emulator && config.cloud.spotifySecretId) {
    const credentials = await loadSpotifyCredentials(config.cloud.spotifySecretId, {
      ...(deps.secretsClient ? { secretsClient: deps.secretsClient } : {}),
      ...(deps.forceFetchSecret ? { forceFetch: true } : {}),
    });
    effective = withSpotifyCredentials(config, credentials);
    const secretId = config.cloud.spotifySecretId;
    saveRefreshToken = (token) =>
      saveRefreshTokenToSecret(
        secretId,
        token,
        deps.secretsClient ? { secretsClient: deps.secretsClient } : {},
      );
    logger.debug('Spotify credentials read from Secrets Manager', {
      secretId: config.cloud.spotifySecretId,
      refreshToken: credentials.refreshToken !== undefined,
    });
  }
  return createRuntime(effective, {
    logger,
    spotify: options.spotify,
    ...(saveRefreshToken ? { saveRefreshToken } : {}),
    ...(deps.emulator ? { emulator: deps.emulator } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.s3Client ? { s3Client: deps.s3Client } : {}),
    ...(deps.glueClient ? { glueClient: deps.glueClient } : {}),
    ...(deps.athenaClient ? { athenaClient: deps.athenaClient } : {}),
    ...(deps.snsClient ? { snsClient: deps.snsClient } : {}),
  });
}
