// The CDK app (`npx cdk synth`, `tunelake deploy`): one TunelakeStack, configured by context
// (cdk.json, or `-c key=value`; infra/stack-settings.ts lists the keys and their defaults).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { CONTEXT_KEYS, resolveStackSettings, type StackSettingsSpec } from '../infra/stack-settings.js';
import { TunelakeStack } from '../infra/tunelake-stack.js';

const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const app = new App();
const spec: StackSettingsSpec = {};
for (const key of CONTEXT_KEYS) {
  const value: unknown = app.node.tryGetContext(key);
  if (value !== undefined && value !== null) spec[key] = String(value);
}
const settings = resolveStackSettings(spec);
new TunelakeStack(app, settings.stackName, {
  settings,
  projectRoot,
  description: 'tunelake: Spotify Web API -> S3 music data lake (Lambda, Glue, Athena, CloudWatch)',
});
app.synth();
