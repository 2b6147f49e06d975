// The daily brief as a notification: the catalog function (src/lambda/catalog.ts) publishes it after
// the insights are refreshed, when TUNELAKE_BRIEF_TOPIC_ARN names a topic, so that a label gets the
// day's page by email each morning. The body is the Markdown page (readable as plain text); a page over
// the notifier's limit is cut at a line, with a note that says how to read the rest.
import type { Notifier } from '../notify/notifier.js';
import { fitBody } from '../notify/notifier.js';
import { type BriefOptions, type BriefRuntime, briefSubject, buildBrief, renderBrief } from './brief.js';

export interface PublishedBrief {
  date: string;
  subject: string;
  messageId: string | undefined;
  /** The body's size in UTF-8 bytes, as sent. */
  bytes: number;
  /** The page was longer than the notifier accepts and was cut. */
  truncated: boolean;
}

export async function publishBrief(
  runtime: BriefRuntime,
  notifier: Notifier,
  options: BriefOptions = {},
): Promise<PublishedBrief> {
  const brief = await buildBrief(runtime, options);
  const subject = briefSubject(brief);
  const { body, truncated } = fitBody(
    renderBrief(brief, 'md'),
    notifier.limits.bodyBytes,
    `[The brief was cut here: it is longer than the ${Math.floor(notifier.limits.bodyBytes / 1024)} KiB a notification can hold. ` +
      `The whole page: tunelake brief --date ${brief.date}]`,
  );
  const { messageId } = await notifier.publish({ subject, body });
  return { date: brief.date, subject, messageId, bytes: Buffer.byteLength(body, 'utf8'), truncated };
}
