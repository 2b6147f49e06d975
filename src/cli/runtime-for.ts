// The runtime of one CLI command: the composition root's, plus the built-in emulator as a stand-in
// for Spotify when the command talks to Spotify and no SPOTIFY_CLIENT_ID is set (it says so). The
// emulator is started here, by the commands that want it, never inside createRuntime.
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createRuntime, type Runtime, type RuntimeDeps } from '../runtime.js';

export async function runtimeFor(config: Config, deps: RuntimeDeps & { logger: Logger }): Promise<Runtime> {
  if (deps.spotify === false || deps.emulator || config.spotify.clientId) return createRuntime(config, deps);
  const { Emulator } = await import('../emulator/server.js');
  const emulator = await Emulator.startStandIn(config.spotify.tier, deps.logger);
  try {
    return await createRuntime(config, { ...deps, emulator, ownsEmulator: true });
  } catch (error) {
    await emulator.close();
    throw error;
  }
}
