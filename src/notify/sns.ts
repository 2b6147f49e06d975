// The Notifier on Amazon SNS: one Publish to a topic, whose subscribers (email, SQS, chat webhooks)
// each get the message. The SDK module is loaded on first use (lazy-aws-client.ts).
//
// Limits (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): a Subject of at most 100
// printable ASCII characters on one line, and at most 256 KiB for the whole message. The body limit
// leaves 1 KiB of that for the subject and the request's other parts.
import type { SNSClient } from '@aws-sdk/client-sns';
import { TunelakeError } from '../errors.js';
import { lazyAwsClient } from '../lazy-aws-client.js';
import type { Logger } from '../log.js';
import type { Notification, Notifier, NotifierLimits } from './notifier.js';

/** The slice of the SDK's SNSClient this notifier uses. */
export type SnsClientLike = Pick<SNSClient, 'send' | 'destroy'>;

export const SNS_LIMITS: NotifierLimits = { subjectChars: 100, bodyBytes: 256 * 1024 - 1024 };

export interface SnsNotifierConfig {
  topicArn: string;
  region: string;
}

export interface SnsNotifierDeps {
  /** Used instead of a client built from the standard AWS credential chain; not destroyed by close(). */
  snsClient?: SnsClientLike | undefined;
  logger?: Logger | undefined;
}

export function createSnsNotifier(config: SnsNotifierConfig, deps: SnsNotifierDeps = {}): Notifier {
  const aws = lazyAwsClient(
    () => import('@aws-sdk/client-sns'),
    ({ SNSClient }): SnsClientLike => new SNSClient({ region: config.region }),
    deps.snsClient,
  );
  return {
    kind: 'sns',
    target: config.topicArn,
    limits: SNS_LIMITS,
    async publish(notification: Notification) {
      const subject = snsSubject(notification.subject);
      const bytes = Buffer.byteLength(notification.body, 'utf8');
      if (bytes > SNS_LIMITS.bodyBytes) {
        throw new TunelakeError(
          'INVALID_ARGUMENT',
          `A message of ${bytes} bytes is over the SNS limit of ${SNS_LIMITS.bodyBytes}: cut it with fitBody() first.`,
        );
      }
      const [sdk, client] = await Promise.all([aws.sdk(), aws.client()]);
      try {
        const out = await client.send(
          new sdk.PublishCommand({ TopicArn: config.topicArn, Subject: subject, Message: notification.body }),
        );
        deps.logger?.debug('notify: published to SNS', { topicArn: config.topicArn, bytes });
        return { messageId: out.MessageId };
      } catch (error) {
        throw snsError(config.topicArn, error);
      }
    },
    close: () => aws.destroy(),
  };
}

/** What SNS accepts as a Subject: printable ASCII on one line, at most 100 characters. */
function snsSubject(subject: string): string {
  const ascii = subject
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return ascii.length <= SNS_LIMITS.subjectChars
    ? ascii
    : `${ascii.slice(0, SNS_LIMITS.subjectChars - 3)}...`;
}

function snsError(topicArn: string, error: unknown): TunelakeError {
  const name = (error as { name?: string }).name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'NotFoundException' || name === 'NotFound') {
    return new TunelakeError(
      'CONFIG_INVALID',
      `SNS topic ${topicArn} does not exist (TUNELAKE_BRIEF_TOPIC_ARN): expected the ARN of an existing topic in this account and region.`,
      { cause: error, details: { topicArn } },
    );
  }
  if (
    name === 'AuthorizationErrorException' ||
    name === 'AuthorizationError' ||
    name === 'KMSAccessDeniedException'
  ) {
    return new TunelakeError(
      'CONFIG_INVALID',
      `Not allowed to publish to SNS topic ${topicArn}: ${message}. Grant sns:Publish on the topic ` +
        '(and kms:GenerateDataKey on its key, if it is encrypted) to this role.',
      { cause: error, details: { topicArn } },
    );
  }
  return new TunelakeError(
    'NETWORK',
    `Publishing to SNS topic ${topicArn} failed: ${name} ${message}`.trim(),
    {
      cause: error,
      details: { topicArn, error: name },
    },
  );
}
