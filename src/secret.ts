// A value that must never be printed: client secrets, refresh tokens, access tokens.
// String(), JSON.stringify() and util.inspect() all render it masked; only reveal() gives the value,
// and only code that sends it over the wire calls that. Every Secret also registers its value with
// the redactor, so a log line or error message that contains it by accident is scrubbed (src/log.ts).

const MASK = '***';
const known = new Set<string>();

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    if (value.length >= 6) known.add(value);
  }

  reveal(): string {
    return this.#value;
  }

  /** `abcd***` style hint for `doctor`: enough to recognise, not enough to use. */
  masked(): string {
    return this.#value.length <= 8 ? MASK : `${this.#value.slice(0, 4)}${MASK}`;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${MASK})`;
  }
}

// `scheme://user:password@host`: the userinfo of any URL in a text (#17: SPOTIFY_ACCOUNTS_URL with
// credentials was printed whole in errors, doctor and the Lambda logs).
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;

/** The text with the user:password@ part of every URL in it replaced by the mask. */
export function maskUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, `$1${MASK}@`);
}

/** Whether a parsed URL carries a user name or password; both are registered for redaction. */
export function urlCredentials(url: URL): boolean {
  if (url.username === '' && url.password === '') return false;
  for (const part of [url.username, url.password]) {
    registerSecretValue(part);
    try {
      registerSecretValue(decodeURIComponent(part));
    } catch {}
  }
  return true;
}

/** Replaces every known secret value in `text`, and every URL's user:password@, with the mask. */
export function redact(text: string): string {
  let out = maskUrlCredentials(text);
  for (const value of known) {
    if (out.includes(value)) out = out.split(value).join(MASK);
  }
  return out;
}

/** Registers a value that is not wrapped in a Secret (e.g. an access token) for redaction. */
export function registerSecretValue(value: string): void {
  if (value.length >= 6) known.add(value);
}
