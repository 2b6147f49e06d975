// The options most commands share, declared once: where the config file and the lake are.
import { Option } from 'commander';

export function configOption(): Option {
  return new Option(
    '--config <file>',
    'config file (default: TUNELAKE_CONFIG, else tunelake.config.json when present)',
  );
}

export function lakeOption(): Option {
  return new Option(
    '--lake <path>',
    'a local folder or s3://bucket/prefix (default: TUNELAKE_LAKE, else ./lake)',
  );
}
