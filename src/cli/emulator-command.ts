// Placeholder until the emulator command lands (being written now).
import type { Command } from 'commander';

export function registerEmulatorCommand(_program: Command): void {}
