// `tunelake start` (what `npm start` runs): the main job on the embedded defaults. With Spotify
// credentials it runs the pipeline on the sources of tunelake.config.json against the real API;
// without them it says so and runs the demo: the built-in emulator, 14 simulated days.
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { createRuntime } from '../runtime.js';
import { demo } from './demo-command.js';
import { EXIT_CODES } from './exit-codes.js';
import { printLine } from './output.js';
import { describeRun, runWithProgress } from './run-command.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'Run the main job on the embedded defaults: the pipeline on your sources with Spotify credentials, ' +
        'or the demo on the built-in emulator without them.',
    )
    .action(async () => {
      const config = loadConfig({});
      if (!config.spotify.clientId) {
        printLine(
          'tunelake: no SPOTIFY_CLIENT_ID is set, so this runs the demo on the built-in Spotify Web API emulator ' +
            'and its generated catalogue (set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET to use the real API).',
        );
        const infos = await demo({ days: 14, json: false });
        if (infos.some((i) => !i.ok)) process.exitCode = EXIT_CODES.PARTIAL_FAILURE;
        return;
      }
      const runtime = await createRuntime(config, {
        logger: createLogger({ level: 'warn', format: 'text' }),
      });
      try {
        const info = await runWithProgress(runtime);
        printLine(describeRun(info, runtime));
        if (!info.ok) process.exitCode = EXIT_CODES.PARTIAL_FAILURE;
      } finally {
        await runtime.close();
      }
    });
}
