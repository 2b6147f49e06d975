// Small helpers the emulator's tests share (and the reliability suite's playlist-shape trial): tokens
// through the real accounts endpoints and JSON GETs over real HTTP (Node's fetch), so every test
// exercises the wire format.
import type { Emulator } from '../server.js';

export const CLIENT_ID = 'tunelake-demo';
export const CLIENT_SECRET = 'tunelake-demo-secret';
export const BASIC = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;

export interface JsonReply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are arbitrary JSON, read field by field
  body: any;
}

export async function postForm(
  emu: Emulator,
  form: Record<string, string>,
  authorization: string | null = BASIC,
): Promise<JsonReply> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (authorization !== null) headers.authorization = authorization;
  const res = await fetch(`${emu.url}/api/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

export async function appToken(emu: Emulator): Promise<string> {
  const reply = await postForm(emu, { grant_type: 'client_credentials' });
  if (reply.status !== 200) throw new Error(`token: ${JSON.stringify(reply.body)}`);
  return reply.body.access_token as string;
}

/** A user token for the demo user (or `userId`), by refreshing a login the emulator issues. */
export async function userToken(
  emu: Emulator,
  options: { scope?: string; userId?: string } = {},
): Promise<string> {
  const refresh = emu.issueRefreshToken(options);
  const reply = await postForm(
    emu,
    { grant_type: 'refresh_token', refresh_token: refresh, client_id: CLIENT_ID },
    null,
  );
  if (reply.status !== 200) throw new Error(`token: ${JSON.stringify(reply.body)}`);
  return reply.body.access_token as string;
}

/** GET a /v1 path (or an absolute URL) with a bearer token; the body is parsed when it is JSON. */
export async function get(emu: Emulator, pathOrUrl: string, token?: string): Promise<JsonReply> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${emu.apiUrl}${pathOrUrl}`;
  const res = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page): keep the text.
  }
  return { status: res.status, headers: res.headers, body };
}

/** Follows `next` links from a first page, collecting every item. */
export async function collectPages(
  emu: Emulator,
  firstPath: string,
  token: string,
  key?: string,
): Promise<unknown[]> {
  const items: unknown[] = [];
  let url: string | null = firstPath;
  while (url !== null) {
    const reply = await get(emu, url, token);
    if (reply.status !== 200) throw new Error(`${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
    const page = key === undefined ? reply.body : reply.body[key];
    items.push(...page.items);
    url = page.next;
  }
  return items;
}
