"""The seed project's transform, as the transform benchmark's pandas baseline.

    python3 bench/baselines/pandas_transform.py OUT_DIR PART.ndjson.gz [PART.ndjson.gz ...]
    python3 bench/baselines/pandas_transform.py OUT_DIR @LIST_FILE   # one part path a line

The classic Spotify ETL the project started from: every playlist item is flattened into a song, an
album and its artists (plain dicts, one list each), the lists become data frames, duplicates are
dropped, dates parsed, and each frame is written as CSV. It reads the raw zone's gzipped NDJSON
parts ({"context": ..., "data": <PlaylistTrackObject>} a line) instead of API responses, so it
reads the same bytes as tunelake's transform. Items without a track (local files keep theirs; an
episode or a removed track has no album) are skipped, as the seed's loop would crash on them.

Prints one JSON line on stdout: rows per frame, wall and CPU seconds of the work (imports
excluded, as the Node children exclude module loading), and the kernel's peak RSS of the process.
"""

import gzip
import json
import os
import resource
import sys
import time

T0_WALL = time.perf_counter()

import pandas as pd  # noqa: E402  (timed apart: the import is not the transform's work)

IMPORT_WALL = time.perf_counter() - T0_WALL


def read_items(paths):
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                yield record["context"], record["data"]


def flatten(paths):
    album_list, artist_list, song_list = [], [], []
    for context, row in read_items(paths):
        track = row.get("item") or row.get("track")
        if not track or track.get("type") != "track" or not track.get("id"):
            continue
        album = track["album"]
        album_list.append(
            {
                "album_id": album["id"],
                "name": album["name"],
                "release_date": album["release_date"],
                "total_tracks": album["total_tracks"],
                "url": album["external_urls"].get("spotify"),
            }
        )
        for artist in track["artists"]:
            artist_list.append(
                {
                    "artist_id": artist["id"],
                    "artist_name": artist["name"],
                    "external_url": artist["href"],
                }
            )
        song_list.append(
            {
                "song_id": track["id"],
                "song_name": track["name"],
                "duration_ms": track["duration_ms"],
                "url": track["external_urls"].get("spotify"),
                "popularity": track.get("popularity"),
                "song_added": row["added_at"],
                "album_id": album["id"],
                "artist_id": track["artists"][0]["id"] if track["artists"] else None,
                "playlist_id": context["playlist_id"],
                "position": context["position"],
            }
        )
    return album_list, artist_list, song_list


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = argv[1]
    paths = argv[2:]
    if len(paths) == 1 and paths[0].startswith("@"):
        with open(paths[0][1:], encoding="utf-8") as listing:
            paths = [p for p in listing.read().splitlines() if p]
    os.makedirs(out_dir, exist_ok=True)

    started_wall = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF)
    album_list, artist_list, song_list = flatten(paths)

    album_df = pd.DataFrame.from_dict(album_list)
    album_df = album_df.drop_duplicates(subset=["album_id"])
    # Spotify's release dates come as 2024, 2024-05 or 2024-05-17.
    album_df["release_date"] = pd.to_datetime(album_df["release_date"], format="mixed", errors="coerce")

    artist_df = pd.DataFrame.from_dict(artist_list)
    artist_df = artist_df.drop_duplicates(subset=["artist_id"])

    song_df = pd.DataFrame.from_dict(song_list)
    song_df = song_df.drop_duplicates(subset=["song_id", "playlist_id", "song_added"])
    song_df["song_added"] = pd.to_datetime(song_df["song_added"], format="ISO8601", utc=True)

    album_df.to_csv(os.path.join(out_dir, "albums.csv"), index=False)
    artist_df.to_csv(os.path.join(out_dir, "artists.csv"), index=False)
    song_df.to_csv(os.path.join(out_dir, "songs.csv"), index=False)

    wall = time.perf_counter() - started_wall
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "rows": {"songs": len(song_df), "albums": len(album_df), "artists": len(artist_df)},
                "flattened": {"songs": len(song_list), "albums": len(album_list), "artists": len(artist_list)},
                "wallMs": round(wall * 1000),
                "userCpuMs": round((usage.ru_utime - before.ru_utime) * 1000),
                "systemCpuMs": round((usage.ru_stime - before.ru_stime) * 1000),
                "importMs": round(IMPORT_WALL * 1000),
                # ru_maxrss is in kilobytes on Linux: the process's VmHWM.
                "maxRssBytes": usage.ru_maxrss * 1024,
                "pandas": pd.__version__,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
