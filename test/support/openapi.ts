// Spotify's own OpenAPI definition as executable response contracts. The YAML is loaded once; its
// OpenAPI 3.0 schemas are turned into JSON Schema that Ajv understands (`nullable`, `discriminator`,
// `x-*` and `example` have no JSON Schema meaning), and one validator is compiled per operation and
// status. Nothing here is a hand-copied schema: every shape comes from the YAML. The few places where
// the YAML is changed are the lists below, each entry with its reason, and every run can print them
// (`adjustments`):
//   OPENAPI_FIXES          where the YAML rejects what Spotify really sends (relaxations only);
//   LOCAL_FILE_NULLS       local files in playlists, which have no Spotify ids;
//   REQUIRED_BY_REFERENCE  where the YAML declares no `required` at all, so a track without an id
//                          would pass (the reference's object shapes say which keys are always sent).
//
// Two tiers are built from the same YAML. `extended` is the definition with the lists above applied.
// `development` also drops from `required` exactly the fields Spotify removed for development-mode
// apps in February 2026 (DEVELOPMENT_TIER_REMOVED_FIELDS, reference §6.2).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { TunelakeError } from '../../src/errors.js';

export type Tier = 'development' | 'extended';
export type HttpMethod = 'get' | 'post' | 'put' | 'delete' | 'patch';

export interface ValidationResult {
  readonly valid: boolean;
  /** `<instance path> <message>`, at most MAX_REPORTED_ERRORS lines (then one `... and N more`). */
  readonly errors: readonly string[];
}

export interface OpenApiContract {
  readonly tier: Tier;
  /** Every change this tier made to the YAML, one line each, so a run shows what was relaxed. */
  readonly adjustments: readonly string[];
  /** Validates a response body against the operation's schema for `status` (e.g. 200). */
  validateResponse(method: HttpMethod, pathTemplate: string, status: number, body: unknown): ValidationResult;
  /** Validates a value against `#/components/schemas/<name>`. */
  validateSchema(name: string, value: unknown): ValidationResult;
  /** Validates a 4xx body against the API's error response (`{error: ErrorObject}`) for that status. */
  validateError(status: number, body: unknown): ValidationResult;
  /** `required` of a component schema after this tier's adjustments (own list, not composed ones). */
  requiredOf(name: string): readonly string[];
}

export interface OpenApiContractDeps {
  /** The OpenAPI YAML; defaults to the first of DEFAULT_OPENAPI_FILES that exists. */
  file?: string;
}

/**
 * Spotify's OpenAPI definition (version 2026.5.31, MIT-licensed, as published by sonallux/spotify-web-api),
 * vendored beside the suite so that a fresh clone tests against exactly this contract.
 */
export const DEFAULT_OPENAPI_FILES: readonly string[] = [
  fileURLToPath(new URL('../contract/spotify-web-api.openapi.yml', import.meta.url)),
];

export const MAX_REPORTED_ERRORS = 10;

/**
 * Fields Spotify stopped returning to development-mode apps in February 2026 (reference §6.2,
 * changelog S14/S15), by the schema the brief names them on. Composed schemas (`allOf`) are searched
 * too, because the YAML declares `available_markets` on AlbumBase rather than on the album schemas.
 */
export const DEVELOPMENT_TIER_REMOVED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  TrackObject: ['available_markets', 'popularity', 'linked_from'],
  AlbumObject: ['available_markets', 'label', 'popularity'],
  SimplifiedAlbumObject: ['available_markets', 'label', 'popularity'],
  ArtistDiscographyAlbumObject: ['available_markets', 'label', 'popularity'],
  ArtistObject: ['followers', 'popularity'],
  PrivateUserObject: ['country', 'email', 'explicit_content', 'followers', 'product'],
};

export interface OpenApiFix {
  /** A JSON pointer into the YAML. */
  readonly at: string;
  /** `nullable`: null is also accepted there; `optional`: these names leave that node's `required`. */
  readonly change: 'nullable' | { readonly optional: readonly string[] };
  /** Only in these tiers; in both when absent. */
  readonly tiers?: readonly Tier[];
  readonly why: string;
}

/**
 * Where the YAML is wrong about what Spotify sends, so the contract would reject real responses.
 * Relaxations only, each at one node, each with its source. This is the one list to edit.
 */
export const OPENAPI_FIXES: readonly OpenApiFix[] = [
  {
    at: '/components/schemas/PlaylistTrackObject/properties/item',
    change: 'nullable',
    why: 'an unavailable track is a null item (reference §2 "Nulls", §5 PlaylistTrackObject)',
  },
  {
    at: '/components/schemas/PlaylistTrackObject/properties/track',
    change: 'nullable',
    why: 'deprecated alias of item, null in the same cases (reference §5)',
  },
  {
    at: '/components/schemas/PlaylistTrackObject/properties/added_at',
    change: 'nullable',
    why: 'the YAML\'s own description: "some very old playlists may return null" (reference §2)',
  },
  {
    at: '/components/schemas/PlaylistTrackObject/properties/added_by',
    change: 'nullable',
    why: 'the YAML\'s own description: "some very old playlists may return null" (reference §2)',
  },
  {
    at: '/components/schemas/PlayHistoryObject/properties/context',
    change: 'nullable',
    why: 'a play outside any playlist/album has context null (reference §2.2)',
  },
  {
    at: '/components/schemas/PagingPlaylistObject/allOf/1/properties/items/items',
    change: 'nullable',
    why: 'search playlist results and Spotify-owned /me/playlists entries can be null (reference §2, §4 search)',
  },
  {
    at: '/components/responses/ManyTracks/content/application~1json/schema/properties/tracks/items',
    change: 'nullable',
    why: 'batch lookups return null for unknown ids (reference §2, §4 GET /tracks?ids=)',
  },
  {
    at: '/components/responses/ManyAlbums/content/application~1json/schema/properties/albums/items',
    change: 'nullable',
    why: 'batch lookups return null for unknown ids (reference §2, §4 GET /albums?ids=)',
  },
  {
    at: '/components/responses/ManyArtists/content/application~1json/schema/properties/artists/items',
    change: 'nullable',
    why: 'batch lookups return null for unknown ids (reference §2, §4 GET /artists?ids=)',
  },
  {
    at: '/components/schemas/ArtistDiscographyAlbumObject/allOf/1',
    change: { optional: ['album_group'] },
    tiers: ['development'],
    why: 'reference §6.2 lists album_group among the album fields removed for development-mode apps',
  },
  {
    at: '/components/schemas/ShowBase',
    change: { optional: ['available_markets', 'publisher'] },
    tiers: ['development'],
    why: 'reference §6.2: "Show and Audiobook: available_markets, publisher" removed (episodes embed a show)',
  },
];

/**
 * A local file in a playlist is track-shaped but has no Spotify ids: Spotify's "Local Files" guide
 * shows `id`, `href` (and its album's and artists' ids, hrefs, uris, album_type and release date) as
 * null, which the YAML's TrackObject does not allow (reference §3). Tracks with `is_local: true` are
 * checked against a copy of TrackObject where exactly these become nullable; every other track
 * against TrackObject itself.
 */
export const LOCAL_FILE_NULLS = {
  TrackObject: ['href', 'id'],
  AlbumBase: ['album_type', 'href', 'id', 'release_date', 'release_date_precision', 'uri'],
  SimplifiedArtistObject: ['href', 'id', 'uri'],
} as const;

/**
 * Keys a local file's album may lack altogether: the "Local Files" guide shows an album without
 * `artists`, `release_date` or `release_date_precision`, and other captures carry `artists: []`
 * (tekore#200; reference, live-API behaviours). They leave `required` in the local-file copies only.
 */
export const LOCAL_FILE_ABSENT = ['artists', 'release_date', 'release_date_precision'] as const;

/**
 * Where the YAML is too loose: Spotify's definition declares no `required` at all on these objects,
 * so a track without an `id` would pass. The reference (§5) shows these keys on every object, so
 * every property the YAML declares becomes required except the ones the reference calls optional.
 * The property names still come from the YAML. Applied in both tiers, before the development removals.
 */
export const REQUIRED_BY_REFERENCE: Readonly<
  Record<string, { readonly optional: readonly string[]; readonly why: string }>
> = {
  TrackObject: {
    optional: ['is_playable', 'linked_from', 'restrictions'],
    why: 'reference §5: "Optional keys: is_playable, linked_from, restrictions"',
  },
  SimplifiedTrackObject: {
    // available_markets: the development tier drops it from tracks (§6.2) and the brief relaxes only TrackObject.
    optional: ['is_playable', 'linked_from', 'restrictions', 'available_markets'],
    why: 'reference §5: TrackObject minus album, external_ids, popularity',
  },
  ArtistObject: {
    optional: ['genres'],
    why: 'reference §5 ArtistObject; genres is deprecated and "possibly absent" (§6.2)',
  },
  SimplifiedArtistObject: { optional: [], why: 'reference §5 (artists inside tracks and albums)' },
  PrivateUserObject: {
    optional: ['account_id'],
    why: 'reference §4 GET /me; account_id is new (2026-05) and not in older responses',
  },
  PlaylistObject: {
    optional: ['followers', 'items', 'tracks'],
    why: 'reference §5 PlaylistObject; development tier omits items/tracks on playlists the user does not own',
  },
  SimplifiedPlaylistObject: { optional: [], why: 'reference §5: lists and search carry items/tracks refs' },
  PlaylistUserObject: { optional: [], why: 'reference §5 added_by/owner' },
  PlaylistTrackObject: {
    optional: ['added_by'],
    why: 'reference §5: "the emulator should emit both" item and track; added_by may be absent, not just null, on old playlists (reference, live-API behaviours)',
  },
  SavedTrackObject: { optional: [], why: 'reference §4 /me/tracks: {added_at, track}' },
  PlayHistoryObject: { optional: [], why: 'reference §2.2 play history items' },
};

type Node = Record<string, unknown>;

const DOC_ID = 'https://tunelake.invalid/spotify-openapi.json';
const DEFS = `${DOC_ID}#/$defs/`;
const SCHEMA_REF = '#/components/schemas/';
const RESPONSE_REF = '#/components/responses/';
const ERROR_RESPONSES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  429: 'TooManyRequests',
};

const documents = new Map<string, Node>();
const contracts = new Map<string, OpenApiContract>();

/** The parsed YAML, read once per file. */
export function loadOpenApiDocument(file: string = defaultOpenApiFile()): Node {
  let doc = documents.get(file);
  if (!doc) {
    const parsed: unknown = parse(readFileSync(file, 'utf8'));
    if (!isNode(parsed) || !isNode(parsed.paths) || !isNode(parsed.components)) {
      throw new TunelakeError(
        'INVALID_ARGUMENT',
        `${file} is not an OpenAPI document: expected paths and components.`,
      );
    }
    doc = parsed;
    documents.set(file, doc);
  }
  return doc;
}

/** The validators for one tier; built once per (file, tier). */
export function createOpenApiContract(tier: Tier, deps: OpenApiContractDeps = {}): OpenApiContract {
  const file = deps.file ?? defaultOpenApiFile();
  const key = `${tier}:${file}`;
  let contract = contracts.get(key);
  if (!contract) {
    contract = buildContract(tier, loadOpenApiDocument(file));
    contracts.set(key, contract);
  }
  return contract;
}

function defaultOpenApiFile(): string {
  const found = DEFAULT_OPENAPI_FILES.find((file) => existsSync(file));
  if (!found) {
    throw new TunelakeError(
      'CONFIG_INVALID',
      `Spotify's OpenAPI definition was not found: looked at ${DEFAULT_OPENAPI_FILES.join(', ')}.`,
    );
  }
  return found;
}

function buildContract(tier: Tier, doc: Node): OpenApiContract {
  const adjustments: string[] = [];
  const components = structuredClone({
    schemas: node(node(doc.components, 'components').schemas, 'components.schemas'),
    responses: node(node(doc.components, 'components').responses, 'components.responses'),
  });
  const tree: Node = { components };
  // Discriminator values are read from the schemas as published, before any of the changes below.
  const published = node(node(doc.components, 'components').schemas, 'components.schemas');

  for (const fix of OPENAPI_FIXES) {
    if (fix.tiers !== undefined && !fix.tiers.includes(tier)) continue;
    const target = node(resolvePointer(tree, fix.at), fix.at);
    if (fix.change === 'nullable') {
      target.nullable = true;
      adjustments.push(`fix: ${fix.at} nullable (${fix.why})`);
    } else {
      const optional = fix.change.optional;
      const missing = optional.filter((f) => !requiredList(target).includes(f));
      if (missing.length > 0)
        throw new TunelakeError(
          'INTERNAL',
          `OPENAPI_FIXES: ${fix.at} does not require ${missing.join(', ')}.`,
        );
      target.required = requiredList(target).filter((f) => !optional.includes(f));
      adjustments.push(`fix: ${fix.at}.required -= ${optional.join(', ')} (${fix.why})`);
    }
  }
  for (const [name, rule] of Object.entries(REQUIRED_BY_REFERENCE)) {
    const schema = node(components.schemas[name], `components.schemas.${name}`);
    const declared = Object.keys(node(schema.properties, `${name}.properties`));
    const added = declared.filter((p) => !rule.optional.includes(p) && !requiredList(schema).includes(p));
    schema.required = [...requiredList(schema), ...added];
    adjustments.push(`tighten: ${name}.required += ${added.join(', ')} (${rule.why})`);
  }
  if (tier === 'development') {
    adjustments.push(...removeDevelopmentFields(components.schemas));
  }
  const required = new Map(
    Object.entries(components.schemas).map(([name, schema]) => [name, requiredList(node(schema, name))]),
  );
  adjustments.push(...splitLocalFiles(components.schemas));

  const ajv = new Ajv({
    strict: true,
    strictTypes: false,
    strictRequired: false,
    allErrors: true,
    verbose: true,
  });
  addFormats.default(ajv);
  // Used by request bodies only (playlist cover upload); declared so strict mode accepts the schema.
  ajv.addFormat('base64', /^[A-Za-z0-9+/]*={0,2}$/);
  const defs: Node = {};
  for (const [name, schema] of Object.entries(components.schemas))
    defs[name] = toJsonSchema(schema, published);
  ajv.addSchema({ $id: DOC_ID, $defs: defs });

  const compiled = new Map<string, ValidateFunction>();
  const compile = (key: string, build: () => unknown): ValidateFunction => {
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(node(build(), key));
      compiled.set(key, validate);
    }
    return validate;
  };
  const run = (validate: ValidateFunction, value: unknown): ValidationResult => {
    const valid = validate(value);
    return { valid, errors: valid ? [] : formatErrors(validate.errors) };
  };
  const responseSchema = (response: unknown, where: string): unknown => {
    let resolved = response;
    if (isNode(resolved) && typeof resolved.$ref === 'string') {
      const name = resolved.$ref.startsWith(RESPONSE_REF)
        ? resolved.$ref.slice(RESPONSE_REF.length)
        : undefined;
      resolved = name === undefined ? undefined : components.responses[name];
    }
    const schema =
      isNode(resolved) && isNode(resolved.content) ? resolved.content['application/json'] : undefined;
    if (!isNode(schema) || !isNode(schema.schema)) {
      throw new TunelakeError('INVALID_ARGUMENT', `${where} has no application/json schema in the OpenAPI.`);
    }
    return toJsonSchema(schema.schema, published);
  };

  return Object.freeze({
    tier,
    adjustments: Object.freeze(adjustments),
    validateResponse(
      method: HttpMethod,
      pathTemplate: string,
      status: number,
      body: unknown,
    ): ValidationResult {
      const where = `${method.toUpperCase()} ${pathTemplate} ${status}`;
      const validate = compile(where, () => {
        const path = isNode(doc.paths) ? doc.paths[pathTemplate] : undefined;
        if (!isNode(path)) {
          const known = Object.keys(node(doc.paths, 'paths')).filter(
            (p) => p.split('/')[1] === pathTemplate.split('/')[1],
          );
          throw new TunelakeError(
            'INVALID_ARGUMENT',
            `No path "${pathTemplate}" in the OpenAPI: expected a template such as ${known.join(', ') || '/tracks/{id}'}.`,
          );
        }
        const operation = path[method];
        const responses = isNode(operation) ? operation.responses : undefined;
        if (!isNode(responses) || responses[String(status)] === undefined) {
          throw new TunelakeError(
            'INVALID_ARGUMENT',
            `${where} is not declared in the OpenAPI: ${method.toUpperCase()} ${pathTemplate} declares ${isNode(responses) ? Object.keys(responses).join(', ') : 'nothing'}.`,
          );
        }
        return responseSchema(responses[String(status)], where);
      });
      return run(validate, body);
    },
    validateSchema(name: string, value: unknown): ValidationResult {
      if (!(name in components.schemas)) {
        throw new TunelakeError('INVALID_ARGUMENT', `No schema "${name}" in the OpenAPI components.`);
      }
      return run(
        compile(`schema ${name}`, () => ({ $ref: `${DEFS}${name}` })),
        value,
      );
    },
    validateError(status: number, body: unknown): ValidationResult {
      const name = ERROR_RESPONSES[status];
      if (name === undefined) {
        throw new TunelakeError(
          'INVALID_ARGUMENT',
          `No error response for status ${status}: expected one of ${Object.keys(ERROR_RESPONSES).join(', ')}.`,
        );
      }
      const result = run(
        compile(`error ${status}`, () =>
          responseSchema({ $ref: `${RESPONSE_REF}${name}` }, `responses.${name}`),
        ),
        body,
      );
      // ErrorObject.status is "the HTTP status code (also returned in the response header)".
      const echoed = isNode(body) && isNode(body.error) ? body.error.status : undefined;
      if (result.valid && echoed !== status) {
        return {
          valid: false,
          errors: [`/error/status is ${JSON.stringify(echoed)} but the HTTP status is ${status}`],
        };
      }
      return result;
    },
    requiredOf(name: string): readonly string[] {
      const list = required.get(name);
      if (list === undefined)
        throw new TunelakeError('INVALID_ARGUMENT', `No schema "${name}" in the OpenAPI components.`);
      return [...list];
    },
  });
}

/**
 * Drops the removed fields from `required` of each named schema and of the schemas it composes
 * (AlbumObject's `available_markets` lives on AlbumBase). Finds every place first, then edits.
 */
function removeDevelopmentFields(schemas: Node): string[] {
  const edits = new Map<string, { schema: Node; fields: Set<string>; via: Set<string> }>();
  const unused: string[] = [];
  for (const [name, fields] of Object.entries(DEVELOPMENT_TIER_REMOVED_FIELDS)) {
    const found = new Set<string>();
    for (const { label, schema } of composedSchemas(name, schemas)) {
      const drop = fields.filter((f) => requiredList(schema).includes(f));
      if (drop.length === 0) continue;
      const edit = edits.get(label) ?? { schema, fields: new Set<string>(), via: new Set<string>() };
      for (const f of drop) {
        edit.fields.add(f);
        found.add(f);
      }
      edit.via.add(name);
      edits.set(label, edit);
    }
    const absent = fields.filter((f) => !found.has(f));
    if (absent.length > 0)
      unused.push(`development: ${name} does not require ${absent.join(', ')}; nothing to drop`);
  }
  const lines: string[] = [];
  for (const [label, { schema, fields, via }] of edits) {
    schema.required = requiredList(schema).filter((f) => !fields.has(f));
    lines.push(`development: ${label}.required -= ${[...fields].join(', ')} (for ${[...via].join(', ')})`);
  }
  return [...lines, ...unused];
}

/**
 * TrackObject -> "if is_local then LocalFileTrackObject else RemoteTrackObject", where the local copy
 * (and copies of the album and artist schemas it uses) allow null exactly at LOCAL_FILE_NULLS.
 */
function splitLocalFiles(schemas: Node): string[] {
  const copy = (name: string, nulls: readonly string[]): Node => {
    const schema = structuredClone(node(schemas[name], `components.schemas.${name}`));
    const properties = node(schema.properties, `${name}.properties`);
    for (const p of nulls) node(properties[p], `${name}.properties.${p}`).nullable = true;
    return schema;
  };
  const ref = (name: string) => `${SCHEMA_REF}${name}`;
  schemas.LocalFileAlbumBase = copy('AlbumBase', LOCAL_FILE_NULLS.AlbumBase);
  schemas.LocalFileSimplifiedArtistObject = copy(
    'SimplifiedArtistObject',
    LOCAL_FILE_NULLS.SimplifiedArtistObject,
  );
  const album = structuredClone(node(schemas.SimplifiedAlbumObject, 'SimplifiedAlbumObject'));
  replaceRefs(album, { [ref('AlbumBase')]: ref('LocalFileAlbumBase') });
  replaceRefs(album, { [ref('SimplifiedArtistObject')]: ref('LocalFileSimplifiedArtistObject') });
  dropRequired(album, LOCAL_FILE_ABSENT);
  dropRequired(node(schemas.LocalFileAlbumBase, 'LocalFileAlbumBase'), LOCAL_FILE_ABSENT);
  schemas.LocalFileSimplifiedAlbumObject = album;
  const track = copy('TrackObject', LOCAL_FILE_NULLS.TrackObject);
  replaceRefs(track, {
    [ref('SimplifiedAlbumObject')]: ref('LocalFileSimplifiedAlbumObject'),
    [ref('SimplifiedArtistObject')]: ref('LocalFileSimplifiedArtistObject'),
  });
  schemas.LocalFileTrackObject = track;
  schemas.RemoteTrackObject = schemas.TrackObject;
  schemas.TrackObject = {
    if: { required: ['is_local'], properties: { is_local: { const: true } } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword; never awaited.
    then: { $ref: ref('LocalFileTrackObject') },
    else: { $ref: ref('RemoteTrackObject') },
  };
  return [
    ...Object.entries(LOCAL_FILE_NULLS).map(
      ([name, fields]) => `local files: ${name}.${fields.join('/')} nullable when is_local is true`,
    ),
    `local files: the album's ${LOCAL_FILE_ABSENT.join('/')} may be absent when is_local is true`,
  ];
}

/** Removes `names` from `required` in a schema and its inline `allOf` parts. */
function dropRequired(schema: Node, names: readonly string[]): void {
  if (Array.isArray(schema.required))
    schema.required = requiredList(schema).filter((f) => !names.includes(f));
  for (const part of Array.isArray(schema.allOf) ? schema.allOf : []) {
    if (isNode(part)) dropRequired(part, names);
  }
}

function replaceRefs(value: unknown, replacements: Record<string, string>): void {
  if (Array.isArray(value)) {
    for (const v of value) replaceRefs(v, replacements);
  } else if (isNode(value)) {
    if (typeof value.$ref === 'string' && value.$ref in replacements) value.$ref = replacements[value.$ref];
    for (const v of Object.values(value)) replaceRefs(v, replacements);
  }
}

/** A schema and everything it pulls in through `allOf` (by $ref or inline), each with a readable label. */
function composedSchemas(name: string, schemas: Node): { label: string; schema: Node }[] {
  const out: { label: string; schema: Node }[] = [];
  const visit = (label: string, schema: Node): void => {
    out.push({ label, schema });
    const parts = Array.isArray(schema.allOf) ? schema.allOf : [];
    parts.forEach((part, i) => {
      if (!isNode(part)) return;
      if (typeof part.$ref === 'string' && part.$ref.startsWith(SCHEMA_REF)) {
        const ref = part.$ref.slice(SCHEMA_REF.length);
        visit(ref, node(schemas[ref], part.$ref));
      } else {
        visit(`${label}.allOf[${i}]`, part);
      }
    });
  };
  visit(name, node(schemas[name], `components.schemas.${name}`));
  return out;
}

/**
 * OpenAPI 3.0 schema -> JSON Schema for Ajv. Recurses only into schema-valued keywords, so property
 * names and enum values are never mistaken for keywords. `schemas` resolves discriminator values.
 */
function toJsonSchema(input: unknown, schemas: Node): unknown {
  if (!isNode(input)) return input;
  const out: Node = {};
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith('x-') || key === 'example' || key === 'nullable' || key === 'discriminator') continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.startsWith(SCHEMA_REF) ? `${DEFS}${value.slice(SCHEMA_REF.length)}` : value;
    } else if (key === 'properties' && isNode(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([p, s]) => [p, toJsonSchema(s, schemas)]),
      );
    } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key] = value.map((s) => toJsonSchema(s, schemas));
    } else if (
      ['items', 'not', 'additionalProperties', 'if', 'then', 'else'].includes(key) &&
      isNode(value)
    ) {
      out[key] = toJsonSchema(value, schemas);
    } else {
      out[key] = value;
    }
  }
  const discriminated = isNode(input.discriminator) ? discriminate(input, out, schemas) : out;
  return input.nullable === true ? nullable(discriminated) : discriminated;
}

/**
 * `oneOf` + `discriminator` -> "if type is X then X's schema". Plain oneOf would report every
 * branch's errors for one bad track; this reports only the branch the `type` names.
 */
function discriminate(input: Node, out: Node, schemas: Node): Node {
  const discriminator = node(input.discriminator, 'discriminator');
  const property = discriminator.propertyName;
  const refs = Array.isArray(input.oneOf) ? input.oneOf : [];
  if (typeof property !== 'string' || refs.length === 0) return out;
  const mapping = isNode(discriminator.mapping) ? discriminator.mapping : {};
  const branches: { value: string; ref: string }[] = [];
  for (const ref of refs) {
    const target = isNode(ref) && typeof ref.$ref === 'string' ? ref.$ref : undefined;
    if (target === undefined || !target.startsWith(SCHEMA_REF)) return out;
    const mapped = Object.entries(mapping).find(([, r]) => r === target)?.[0];
    const value = mapped ?? discriminatorValue(target.slice(SCHEMA_REF.length), property, schemas);
    if (value === undefined) return out;
    branches.push({ value, ref: `${DEFS}${target.slice(SCHEMA_REF.length)}` });
  }
  const { oneOf: _replaced, ...rest } = out;
  return {
    ...rest,
    type: 'object',
    required: [property],
    properties: { [property]: { enum: branches.map((b) => b.value) } },
    allOf: branches.map((b) => ({
      if: { required: [property], properties: { [property]: { const: b.value } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword; never awaited.
      then: { $ref: b.ref },
    })),
  };
}

/** The single enum value of `property` in a schema or in what it composes (EpisodeObject -> EpisodeBase). */
function discriminatorValue(name: string, property: string, schemas: Node): string | undefined {
  for (const { schema } of composedSchemas(name, schemas)) {
    const prop = isNode(schema.properties) ? schema.properties[property] : undefined;
    if (
      isNode(prop) &&
      Array.isArray(prop.enum) &&
      prop.enum.length === 1 &&
      typeof prop.enum[0] === 'string'
    ) {
      return prop.enum[0];
    }
  }
  return undefined;
}

/** `nullable: true` -> null allowed. A plain `type` widens to [type, 'null']; anything else is guarded. */
function nullable(schema: Node): Node {
  const composite = ['enum', 'allOf', 'anyOf', 'oneOf', '$ref', 'const'].some((k) => k in schema);
  if (typeof schema.type === 'string' && !composite) return { ...schema, type: [schema.type, 'null'] };
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword; never awaited.
  return { if: { not: { type: 'null' } }, then: schema };
}

/**
 * Readable errors: `<path> <message>`; the missing properties of one object on one line; noise from
 * the if/then wrappers dropped; the first MAX_REPORTED_ERRORS lines only.
 */
export function formatErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  const lines: string[] = [];
  const missing = new Map<string, { index: number; names: string[] }>();
  for (const error of errors ?? []) {
    if (error.keyword === 'if') continue;
    const path = error.instancePath || '/';
    const property = (error.params as { missingProperty?: unknown }).missingProperty;
    if (error.keyword === 'required' && typeof property === 'string') {
      const entry = missing.get(path) ?? { index: lines.push('') - 1, names: [] };
      if (!entry.names.includes(property)) entry.names.push(property);
      missing.set(path, entry);
      continue;
    }
    const line = `${path} ${error.message ?? error.keyword}${detail(error)}`;
    if (!lines.includes(line)) lines.push(line);
  }
  for (const [path, { index, names }] of missing)
    lines[index] = `${path} must have required properties: ${names.join(', ')}`;
  if (lines.length <= MAX_REPORTED_ERRORS) return lines;
  return [...lines.slice(0, MAX_REPORTED_ERRORS), `... and ${lines.length - MAX_REPORTED_ERRORS} more`];
}

function detail(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}; got ${preview(error.data)}`;
  }
  if (error.keyword === 'required' || error.keyword === 'additionalProperties') return '';
  return error.data === undefined ? '' : `; got ${preview(error.data)}`;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function resolvePointer(root: unknown, pointer: string): unknown {
  let current = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) current = current[Number(key)];
    else if (isNode(current)) current = current[key];
    else return undefined;
  }
  return current;
}

function requiredList(schema: Node): string[] {
  return Array.isArray(schema.required)
    ? schema.required.filter((r): r is string => typeof r === 'string')
    : [];
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function node(value: unknown, where: string): Node {
  if (!isNode(value)) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      `Expected an object at ${where} of the OpenAPI, got ${preview(value)}.`,
    );
  }
  return value;
}
