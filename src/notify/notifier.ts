// The Notifier port: sends a short message (a subject and a plain-text body) to whoever subscribed,
// such as the daily brief to a label's inbox each morning. It imports no adapter: the composition
// root (src/runtime.ts) picks one; today that is Amazon SNS (notify/sns.ts), when
// TUNELAKE_BRIEF_TOPIC_ARN names a topic.

export interface Notification {
  /** One line; the adapter's limit (`limits.subjectChars`) applies. */
  subject: string;
  /** Plain text or Markdown; at most `limits.bodyBytes` UTF-8 bytes (see fitBody). */
  body: string;
}

export interface NotifierLimits {
  /** The longest subject the service accepts, in characters. */
  subjectChars: number;
  /** The largest body the service accepts, in UTF-8 bytes. */
  bodyBytes: number;
}

export interface Notifier {
  readonly kind: 'sns';
  /** Where the messages go (the topic ARN), for logs and results. */
  readonly target: string;
  readonly limits: NotifierLimits;
  /** Sends one message; fails with a TunelakeError that says what to fix. */
  publish(notification: Notification): Promise<{ messageId: string | undefined }>;
  close(): Promise<void>;
}

/**
 * The body cut to at most `maxBytes` UTF-8 bytes, ending with `note` when it had to be cut: at a line
 * break when one is near the limit, never inside a character.
 */
export function fitBody(body: string, maxBytes: number, note: string): { body: string; truncated: boolean } {
  if (Buffer.byteLength(body, 'utf8') <= maxBytes) return { body, truncated: false };
  const tail = `\n\n${note}\n`;
  const room = maxBytes - Buffer.byteLength(tail, 'utf8');
  if (room <= 0)
    throw new RangeError(`A note of ${Buffer.byteLength(tail)} bytes does not fit in ${maxBytes} bytes.`);
  // Decoding a byte prefix may end in half a character (decoded as U+FFFD): drop it.
  let head = Buffer.from(body, 'utf8')
    .subarray(0, room)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  const lastBreak = head.lastIndexOf('\n');
  if (lastBreak > head.length * 0.9) head = head.slice(0, lastBreak);
  return { body: `${head.trimEnd()}${tail}`, truncated: true };
}
