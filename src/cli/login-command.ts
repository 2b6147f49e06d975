// Placeholder until the login command lands (being written now).
import type { Command } from 'commander';

export function registerLoginCommand(_program: Command): void {}
