// The files of a Spotify data export, wherever they are: inside the zip Spotify mails (read entry by
// entry with yauzl, never unpacked to disk), in a folder it was unpacked into, or named one by one.
// Each file is handed out as a stream, one at a time: a 500 MB export never sits in memory.
//
// Spotify has shipped two exports (https://support.spotify.com/article/understanding-my-data/):
// - Extended streaming history: `Streaming_History_Audio_2019-2021_3.json`,
//   `Streaming_History_Video_2020-2024.json`, and before 2023 `endsong_0.json`; records have `ts`.
// - Account data: `StreamingHistory_music_0.json`, `StreamingHistory_podcast_0.json` (older:
//   `StreamingHistory0.json`); records have `endTime` ("YYYY-MM-DD HH:MM", UTC).
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { TunelakeError } from '../errors.js';

export type ExportFormat = 'extended' | 'account';

export interface ExportFile {
  /** Where it came from: `my_spotify_data.zip!Spotify Extended Streaming History/Streaming_History_Audio_2019.json`. */
  name: string;
  /** The format its name announces; undefined for a JSON file given by name whose name says nothing. */
  format: ExportFormat | undefined;
  /** Read it once, to the end, before asking for the next file. */
  open(): Promise<Readable>;
}

const EXTENDED_NAME = /^(Streaming_History_(Audio|Video)_.*|endsong_\d+)\.json$/i;
const ACCOUNT_NAME = /^StreamingHistory(_(music|podcast))?_?\d+\.json$/i;

/** The format a file's base name announces, or undefined for any other file of an export. */
export function exportFormatOfName(name: string): ExportFormat | undefined {
  const base = basename(name);
  if (EXTENDED_NAME.test(base)) return 'extended';
  if (ACCOUNT_NAME.test(base)) return 'account';
  return undefined;
}

export interface ExportFiles {
  /** Streaming-history files, in a stable order (inputs in the order given, names sorted inside each). */
  files: AsyncIterable<ExportFile>;
  /** Other files seen inside zips and folders (Userdata.json, ...): not read. Filled while iterating. */
  ignored: string[];
}

/** Every streaming-history file of the given zips, folders and files. */
export function exportFiles(inputs: readonly string[]): ExportFiles {
  if (inputs.length === 0) {
    throw new TunelakeError(
      'INVALID_ARGUMENT',
      'No export given: expected the zip Spotify sent (my_spotify_data.zip), the folder it unpacks to, or its JSON files.',
    );
  }
  const ignored: string[] = [];
  async function* files(): AsyncGenerator<ExportFile> {
    for (const input of inputs) {
      const info = await stat(input).catch((error: NodeJS.ErrnoException) => {
        throw new TunelakeError(
          'INVALID_ARGUMENT',
          `Cannot read the export "${input}": ${error.code === 'ENOENT' ? 'no such file or folder' : (error.code ?? error.message)}. ` +
            'Give the zip Spotify sent, the folder it unpacks to, or its Streaming_History_*.json files.',
          {
            cause: error,
          },
        );
      });
      if (info.isDirectory()) yield* folderFiles(input, ignored);
      else if (extname(input).toLowerCase() === '.zip') yield* zipFiles(input, ignored);
      else {
        yield { name: input, format: exportFormatOfName(input), open: async () => createReadStream(input) };
      }
    }
  }
  return { files: files(), ignored };
}

async function* folderFiles(root: string, ignored: string[]): AsyncGenerator<ExportFile> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
  for (const path of paths) {
    const format = exportFormatOfName(path);
    const name = join(basename(root), relative(root, path));
    if (!format) {
      ignored.push(name);
      continue;
    }
    yield { name, format, open: async () => createReadStream(path) };
  }
}

/**
 * The zip's matching entries, in central-directory order. yauzl reads the central directory first,
 * so a truncated download fails here, before anything lands.
 */
async function* zipFiles(path: string, ignored: string[]): AsyncGenerator<ExportFile> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: false }, (error, zipfile) =>
      error ? reject(badZip(path, error)) : resolve(zipfile),
    );
  });
  try {
    const nextEntry = () =>
      new Promise<yauzl.Entry | undefined>((resolve, reject) => {
        const onEntry = (entry: yauzl.Entry) => settle(() => resolve(entry));
        const onEnd = () => settle(() => resolve(undefined));
        const onError = (error: Error) => settle(() => reject(badZip(path, error)));
        const settle = (fn: () => void) => {
          zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
          fn();
        };
        zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
        zip.readEntry();
      });
    const base = basename(path);
    for (let entry = await nextEntry(); entry; entry = await nextEntry()) {
      const e = entry;
      if (e.fileName.endsWith('/')) continue;
      const name = `${base}!${e.fileName}`;
      const format = exportFormatOfName(e.fileName);
      if (!format) {
        ignored.push(name);
        continue;
      }
      yield {
        name,
        format,
        open: () =>
          new Promise<Readable>((resolve, reject) => {
            zip.openReadStream(e, (error, stream) => {
              if (error) reject(badZip(path, error));
              // A CRC or size mismatch later surfaces as an error of this stream (the reader reports it).
              else resolve(stream);
            });
          }),
      };
    }
  } finally {
    zip.close();
  }
}

function badZip(path: string, error: Error): TunelakeError {
  return new TunelakeError(
    'INVALID_ARGUMENT',
    `Cannot read the zip "${path}": ${error.message}. It looks truncated or damaged: download the export again ` +
      'from https://www.spotify.com/account/privacy/, or unpack it and import the folder.',
    { cause: error },
  );
}
