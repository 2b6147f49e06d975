// `tunelake verify`: the lake checked against its own records (src/integrity/verify.ts), one line per
// damaged object with the command that repairs it. Exit 0 when clean, 7 (storage) when anything is
// damaged. It holds the run lock, so a run in progress is never mistaken for damage (exit 8 then).
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { type VerifyReport, verifyLake } from '../integrity/verify.js';
import { newRunId } from '../lake.js';
import { withRunLock } from '../lock.js';
import { createRuntime } from '../runtime.js';
import { redact } from '../secret.js';
import { configOption, lakeOption } from './common-options.js';
import { EXIT_CODES } from './exit-codes.js';
import { cliLogger, createProgressLine, printJson, printLine } from './output.js';

interface VerifyFlags {
  config?: string;
  lake?: string;
  json?: boolean;
  hash?: boolean;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description(
      'Check every raw object against its run manifest, every table file against the transform state, the ' +
        'catalog against the tables, and every manifest the states count on; one line per damaged object with ' +
        'its repair. Exit 0 when clean, 7 when damage was found.',
    )
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--no-hash', 'compare sizes and etags only, without reading every object (faster on S3)')
    .option(
      '--json',
      'print {ok, hashed, checked, findings: [{kind, key, problem, repair}], notes} on stdout',
    )
    .action(async (flags: VerifyFlags) => {
      const config = loadConfig({ configFile: flags.config, lake: flags.lake });
      const logger = cliLogger(config, flags.json);
      const runtime = await createRuntime(config, { logger, spotify: false });
      const line = createProgressLine();
      try {
        const report = await withRunLock(
          runtime.store,
          `verify-${newRunId(new Date())}`,
          () =>
            verifyLake(runtime, {
              hash: flags.hash !== false,
              onProgress: (step, done, total) => line.update(`verify: ${step} ${done}/${total}`),
            }),
          { logger },
        );
        line.done();
        if (flags.json) printJson(report);
        else printLine(describeVerify(report, runtime.store.location));
        if (!report.ok) {
          // The one error line every failing command prints (stderr), beside the report (stdout).
          const first = report.findings[0]!;
          process.stderr.write(
            redact(
              `tunelake: ${report.findings.length} damaged object(s) in ${runtime.store.location}, e.g. ${first.key}: ` +
                `${first.problem}. Repair: ${first.repair}.\n`,
            ),
          );
          process.exitCode = EXIT_CODES.STORAGE_CORRUPT;
        }
      } finally {
        line.done();
        await runtime.close();
      }
    });
}

export function describeVerify(report: VerifyReport, location: string): string {
  const c = report.checked;
  const what =
    `${c.manifests} manifests, ${c.rawObjects} raw objects, ${c.tableFiles} table files, ` +
    `${c.catalogPartitions} catalog partitions${report.hashed ? ' (sha256)' : ' (sizes and etags only)'}`;
  const lines = report.ok
    ? [`verify: ${location} is intact: ${what} checked in ${(report.durationMs / 1000).toFixed(1)} s.`]
    : [`verify: ${report.findings.length} problem(s) in ${location} (${what} checked):`];
  for (const f of report.findings) {
    lines.push(`  ${f.kind} ${f.key}: ${f.problem}`, `    repair: ${f.repair}`);
  }
  for (const note of report.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}
