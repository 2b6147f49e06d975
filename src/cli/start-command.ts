// `tunelake start` (what `npm start` runs): the main job on the embedded defaults. With Spotify
// credentials it extracts the sources of tunelake.config.json from the real API; without them it
// says so and runs against the built-in emulator's generated catalogue.
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { extract } from '../extract/extract.js';
import { createLogger } from '../log.js';
import { createRuntime } from '../runtime.js';
import { EXIT_CODES } from './exit-codes.js';
import { summarize } from './extract-command.js';
import { createProgressLine, printLine } from './output.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'Run the main job on the embedded defaults (local lake; the emulator when no Spotify credentials are set).',
    )
    .action(async () => {
      const config = loadConfig({});
      if (!config.spotify.clientId) {
        printLine(
          'tunelake: no SPOTIFY_CLIENT_ID set, so this run uses the built-in Spotify Web API emulator and its ' +
            'generated catalogue (set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET to use the real API).',
        );
      }
      const runtime = await createRuntime(config, {
        logger: createLogger({ level: 'error', format: 'text' }),
      });
      const line = createProgressLine();
      try {
        const info = await extract(runtime, {
          now: runtime.now,
          onProgress: (e) => line.update(`extract: ${e.phase}${e.total ? ` ${e.done}/${e.total}` : ''}`),
        });
        line.done();
        printLine(summarize(info, runtime.store.location));
        printLine(`Raw zone: ${runtime.store.location}/raw/  (run again: only what changed is fetched)`);
        if (info.errors.length > 0) process.exitCode = EXIT_CODES.PARTIAL_FAILURE;
      } finally {
        line.done();
        await runtime.close();
      }
    });
}
