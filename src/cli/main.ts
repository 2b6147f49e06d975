// The `tunelake` command: parses arguments, builds nothing itself, and maps every error to one
// clear line and an exit code (src/cli/exit-codes.ts). Each command lives in its own file.
import { Command, CommanderError } from 'commander';
import { toTunelakeError } from '../errors.js';
import { redact } from '../secret.js';
import { registerBriefCommand } from './brief-command.js';
import { registerCrawlCommand } from './crawl-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerDeployCommand } from './deploy-command.js';
import { registerDoctorCommand } from './doctor-command.js';
import { registerEmulatorCommand } from './emulator-command.js';
import { EXIT_CODES } from './exit-codes.js';
import { registerExtractCommand } from './extract-command.js';
import { registerImportCommand } from './import-command.js';
import { registerInsightsCommand } from './insights-command.js';
import { registerLambdaCommand } from './lambda-command.js';
import { registerLoginCommand } from './login-command.js';
import { registerQueryCommand } from './query-command.js';
import { registerRunCommand } from './run-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerStartCommand } from './start-command.js';
import { registerTablesCommand } from './tables-command.js';
import { registerTransformCommand } from './transform-command.js';
import { registerVerifyCommand } from './verify-command.js';

export function createProgram(): Command {
  const program = new Command('tunelake')
    .description('Spotify Web API -> a queryable music data lake (raw zone, Parquet tables, catalog, SQL).')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerStartCommand(program);
  registerRunCommand(program);
  registerDemoCommand(program);
  registerExtractCommand(program);
  registerTransformCommand(program);
  registerVerifyCommand(program);
  registerCrawlCommand(program);
  registerTablesCommand(program);
  registerQueryCommand(program);
  registerInsightsCommand(program);
  registerBriefCommand(program);
  registerServeCommand(program);
  registerImportCommand(program);
  registerDoctorCommand(program);
  registerEmulatorCommand(program);
  registerLoginCommand(program);
  registerLambdaCommand(program);
  registerDeployCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const err = toTunelakeError(error);
    const json = argv.includes('--json');
    if (json) process.stdout.write(`${redact(JSON.stringify({ ok: false, error: err.toJSON() }))}\n`);
    process.stderr.write(`tunelake: ${redact(err.message)}\n`);
    if (err.code === 'INTERNAL' && error instanceof Error && error.stack) {
      process.stderr.write(`${redact(error.stack)}\n`);
    }
    return EXIT_CODES[err.code];
  }
}
