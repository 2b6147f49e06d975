// `tunelake doctor [--json]`: what the Spotify app and the lake can do, and why something fails (see
// src/doctor/doctor.ts). Exits non-zero, with the mapped code of the first failed check, when the next
// `tunelake run` would break. An invalid configuration is itself reported as a failed check.
import type { Command } from 'commander';
import { type ConfigSpec, loadConfig } from '../config.js';
import { type DoctorReport, doctorExitCode, formatReport, reportJson, runDoctor } from '../doctor/doctor.js';
import { toTunelakeError } from '../errors.js';
import { silentLogger } from '../log.js';
import type { RuntimeDeps } from '../runtime.js';
import { redact } from '../secret.js';
import { configOption, lakeOption } from './common-options.js';
import { runtimeFor } from './runtime-for.js';

export interface DoctorCommandDeps {
  /** The environment for loadConfig(); default: the process's. */
  env?: Readonly<Record<string, string | undefined>>;
  stdout?: (text: string) => void;
  /** Default: whether process.stdout is a terminal. */
  isTty?: boolean;
  /** Passed to createRuntime (tests hand in moto's S3 client or an emulator). */
  runtime?: Pick<RuntimeDeps, 's3Client' | 'glueClient' | 'emulator' | 'now'>;
}

interface DoctorFlags {
  json?: boolean;
  config?: string;
  lake?: string;
  tier?: string;
  credentials?: string;
}

export function registerDoctorCommand(program: Command, deps: DoctorCommandDeps = {}): void {
  const write = deps.stdout ?? ((text: string) => process.stdout.write(text));
  program
    .command('doctor')
    .description(
      'Check the configuration, Spotify credentials and access tier, the sources and the lake: one line per ' +
        'check with its evidence and fix; exits non-zero when the next run would fail.',
    )
    .option(
      '--json',
      'print {ok, checks: [{id, group, status, summary, evidence, fix}], tier: {configured, evidence: {batch, fields, pageSize}, verdict: {tier, uncertain, safe}}}',
    )
    .addOption(configOption())
    .addOption(lakeOption())
    .option('--tier <tier>', 'the access tier you expect: development or extended')
    .option('--credentials <file>', 'the credentials file written by `tunelake login`')
    .action(async (flags: DoctorFlags) => {
      const report = await diagnose(flags, deps);
      write(
        flags.json
          ? `${JSON.stringify(reportJson(report), null, 2)}\n`
          : formatReport(report, { tty: deps.isTty ?? process.stdout.isTTY === true }),
      );
      const code = doctorExitCode(report);
      if (code !== 0) process.exitCode = code;
    });
}

async function diagnose(flags: DoctorFlags, deps: DoctorCommandDeps): Promise<DoctorReport> {
  const spec: ConfigSpec = {
    configFile: flags.config,
    lake: flags.lake,
    tier: flags.tier,
    credentialsFile: flags.credentials,
  };
  let config: ReturnType<typeof loadConfig>;
  try {
    config = deps.env ? loadConfig(spec, deps.env) : loadConfig(spec);
  } catch (error) {
    const err = toTunelakeError(error, 'CONFIG_INVALID');
    return {
      ok: false,
      checks: [
        {
          id: 'config',
          group: 'configuration',
          status: 'fail',
          summary: 'the configuration is invalid, so nothing else was checked',
          evidence: redact(err.message),
          fix: 'correct each setting named in the evidence',
          code: err.code,
        },
      ],
    };
  }
  // The doctor's own lines say everything; the runtime's logs would repeat them.
  const runtime = await runtimeFor(config, { logger: silentLogger, ...deps.runtime });
  try {
    return await runDoctor(runtime);
  } finally {
    await runtime.close();
  }
}
