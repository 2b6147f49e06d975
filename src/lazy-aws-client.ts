// One way for the AWS adapters (storage/s3.ts, catalog/glue.ts, query/athena.ts) to hold their SDK
// client: the SDK module is imported on first use, so a local run never loads it, and the client is
// built once from the standard credential chain, unless the caller handed one in (tests pass clients
// configured for moto). Only a client built here is destroyed by `destroy()`; a given one is the
// caller's to close. The adapters pass their own `import('@aws-sdk/...')`, so this file names no SDK.

export interface LazyAwsClient<Sdk, Client> {
  sdk(): Promise<Sdk>;
  client(): Promise<Client>;
  /** Destroys the client if this helper built it; a later call to `client()` builds a new one. */
  destroy(): Promise<void>;
}

export function lazyAwsClient<Sdk, Client extends { destroy?: () => void }>(
  load: () => Promise<Sdk>,
  build: (sdk: Sdk) => Client,
  given?: Client | undefined,
): LazyAwsClient<Sdk, Client> {
  let sdkPromise: Promise<Sdk> | undefined;
  let clientPromise: Promise<Client> | undefined;
  const sdk = () => {
    sdkPromise ??= load();
    return sdkPromise;
  };
  return {
    sdk,
    client() {
      clientPromise ??= given ? Promise.resolve(given) : sdk().then(build);
      return clientPromise;
    },
    async destroy() {
      if (!given && clientPromise) {
        const client = await clientPromise.catch(() => undefined);
        client?.destroy?.();
      }
      clientPromise = undefined;
    },
  };
}
