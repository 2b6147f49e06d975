// Every command (and sub-command) says what it does and lists its options under --help, exits 0, and
// runs nothing: the help is the first thing a new user reads.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from './main.js';

function leaves(command: Command, path: string[] = []): Array<{ path: string[]; command: Command }> {
  const subs = command.commands;
  if (subs.length === 0) return [{ path, command }];
  return subs.flatMap((sub) => leaves(sub, [...path, sub.name()]));
}

function help(path: string[]): string {
  const program = createProgram();
  let out = '';
  program.configureOutput({ writeOut: (text) => (out += text), writeErr: (text) => (out += text) });
  for (const sub of program.commands)
    sub.configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (out += t) });
  let target: Command = program;
  for (const name of path) {
    target = target.commands.find((c) => c.name() === name)!;
    target.configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (out += t) });
  }
  target.outputHelp();
  return out;
}

const commands = leaves(createProgram());

describe('tunelake <command> --help (every command)', () => {
  it('finds every command of the program', () => {
    const names = commands.map((c) => c.path.join(' '));
    for (const expected of ['run', 'extract', 'transform', 'query', 'serve', 'doctor', 'lambda invoke']) {
      expect(names).toContain(expected);
    }
  });

  it.each(commands.map((c) => [c.path.join(' '), c]))(
    '%s: says what it does and lists its options',
    (_name, c) => {
      const { command, path } = c as (typeof commands)[number];
      expect(command.description().length, 'description').toBeGreaterThan(20);
      const text = help(path);
      expect(text).toContain(`Usage: tunelake ${path.join(' ')}`);
      expect(text).toContain(command.description().slice(0, 30));
      for (const option of command.options) expect(text).toContain(option.flags);
      // Every option says what it is for.
      for (const option of command.options)
        expect(option.description.length, option.flags).toBeGreaterThan(5);
    },
  );

  it('runs nothing and exits 0 for --help', async () => {
    const { main } = await import('./main.js');
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      out += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await main(['run', '--help'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out).toContain('Usage: tunelake run');
  });
});
