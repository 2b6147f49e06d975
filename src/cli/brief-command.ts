// `tunelake brief`: the one-page daily brief (src/brief/brief.ts) of a lake whose insights have been
// refreshed: Markdown on stdout by default, HTML with --format html, to a file with --out, or the
// brief's data as JSON with --json.
import { writeFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { type BriefFormat, buildBrief, renderBrief } from '../brief/brief.js';
import { loadConfig } from '../config.js';
import { TunelakeError } from '../errors.js';
import { createRuntime } from '../runtime.js';
import { configOption, lakeOption } from './common-options.js';
import { cliLogger, printJson, printLine } from './output.js';

export interface BriefCommandDeps {
  /** The environment for loadConfig(); default: the process's. */
  env?: Readonly<Record<string, string | undefined>>;
  stdout?: (text: string) => void;
}

interface BriefFlags {
  date?: string;
  format?: BriefFormat;
  out?: string;
  json?: boolean;
  config?: string;
  lake?: string;
}

export function registerBriefCommand(program: Command, deps: BriefCommandDeps = {}): void {
  const out = (text: string) => (deps.stdout ? deps.stdout(`${text}\n`) : printLine(text));
  const outJson = (value: unknown) =>
    deps.stdout ? deps.stdout(`${JSON.stringify(value, null, 2)}\n`) : printJson(value);
  program
    .command('brief')
    .description(
      'The daily brief: for one day, the entries, exits and biggest real moves of each watched playlist, new ' +
        'releases of the watched artists, artists far above their trend, the listening, how fresh the data is ' +
        'and what this tier cannot show. Reads the insight tables: run `tunelake run` (or `tunelake insights`) first.',
    )
    .option('--date <YYYY-MM-DD>', 'the day (default: the last day a watched playlist was observed)')
    .option(
      '--format <format>',
      'md (Markdown, the default) or html; --out FILE.html implies html',
      parseFormat,
    )
    .option('--out <file>', 'write the page to this file instead of stdout')
    .option('--json', "print the brief's data as JSON on stdout (scripts, other renderers)")
    .addOption(configOption())
    .addOption(lakeOption())
    .addHelpText(
      'after',
      '\nExamples:\n' +
        "  tunelake brief                                   today's brief as Markdown\n" +
        '  tunelake brief --date 2026-11-02 --out brief.html  one day, as an HTML page\n',
    )
    .action(async (flags: BriefFlags) => {
      const spec = { configFile: flags.config, lake: flags.lake };
      const config = deps.env ? loadConfig(spec, deps.env) : loadConfig(spec);
      const logger = cliLogger(config, flags.json);
      const runtime = await createRuntime(config, { logger, spotify: false });
      try {
        const engine = await runtime.openEngine({ readOnly: true });
        try {
          const brief = await buildBrief({ ...runtime, engine }, flags.date ? { date: flags.date } : {});
          const format = flags.format ?? (flags.out?.toLowerCase().endsWith('.html') ? 'html' : 'md');
          const page = renderBrief(brief, format);
          if (flags.out) await writePage(flags.out, page);
          if (flags.json) outJson({ ok: true, brief, ...(flags.out ? { out: flags.out, format } : {}) });
          else if (flags.out) out(`brief for ${brief.date} written to ${flags.out} (${format}).`);
          else out(page.trimEnd());
        } finally {
          await engine.close();
        }
      } finally {
        await runtime.close();
      }
    });
}

function parseFormat(value: string): BriefFormat {
  if (value === 'md' || value === 'html') return value;
  throw new InvalidArgumentError(`expected md or html, got "${value}".`);
}

async function writePage(path: string, page: string): Promise<void> {
  try {
    await writeFile(path, page);
  } catch (error) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Cannot write the brief to ${path}: ${(error as Error).message}. Give a path in a folder that exists and you can write to.`,
      { cause: error },
    );
  }
}
