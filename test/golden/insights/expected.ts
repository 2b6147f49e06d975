// The insight tables of the golden dataset (dataset.ts), computed by hand. Each row lists the values in
// the order of the insight's columns in src/insights/insights.ts; dates read back as 'YYYY-MM-DD'.
// D1 = 2026-11-01, D2 = 11-02, D3 = 11-08 (D1 + 7), D4 = 12-01 (D1 + 30).
//
// Day counts used below (days from the release day to the snapshot day):
//   al_1 2020-01-15: D1 2482, D2 2483, D3 2489, D4 2512
//   al_2 2026-10-20: D1 12,   D2 13,   D3 19,   D4 42
//   al_3 1999-01-01: D1 10166, D2 10167, D3 10173, D4 10196
//   al_4 2026-11-05: D1 -4,   D2 -3,   D3 3,    D4 26
type Value = string | number | boolean | null;

export const EXPECTED: Record<string, Value[][]> = {
  // Places (position + 1), track by track:
  //   pl_x D1 t1 1, t2 2, t3 3, t4 4 | D2 t3 1, t1 2, t2 3, t5 4 | D3 same as D2 | D4 t5 1, t3 2, t1 3
  //   pl_y D1 t4 1 (listed at 0 and 3: first place), t6 3 | D3 t6 1, t4 3 (episode and local file never move)
  // rank_change: rank among the tracks on the playlist on both days, before minus after; delta: the raw
  // place change. A track only passed by one that moved further is no climb or fall (no row).
  // pl_x D2 vs D1: on both days t1, t2, t3, ranked 1, 2, 3 then t3, t1, t2: t3 climbs 2 (raw 3->1)
  //   past t1 and t2, which fell 1 rank only because t3 passed them; t5 enters at 4, t4 exits from 4.
  // pl_x D3 vs D2: no change, no rows. pl_y D3 vs D1 (not observed on D2): t4, t6 then t6, t4, a swap
  //   of equal changes: both moved, t6 +1 (raw 3->1: +2), t4 -1 (raw 1->3: -2; the local file and the
  //   episode hold no rank).
  // pl_x D4 vs D3: on both days t3, t1, t5 then t5, t3, t1: t5 +2 (raw 4->1: +3) past t3 and t1; t2 exits.
  // Within a day and playlist: climb, entry, exit, fall, then by place.
  playlist_movers: [
    ['2026-11-02', '2026-11-01', 'pl_x', 'Morning Mix', 't3', 'Three', 'Bruno', 'climb', 3, 1, 2, 2],
    ['2026-11-02', '2026-11-01', 'pl_x', 'Morning Mix', 't5', 'Five', 'Eve', 'entry', null, 4, null, null],
    ['2026-11-02', '2026-11-01', 'pl_x', 'Morning Mix', 't4', 'Four', 'Cleo', 'exit', 4, null, null, null],
    ['2026-11-08', '2026-11-01', 'pl_y', 'Night Shift', 't6', 'Six', 'Cleo', 'climb', 3, 1, 2, 1],
    ['2026-11-08', '2026-11-01', 'pl_y', 'Night Shift', 't4', 'Four', 'Cleo', 'fall', 1, 3, -2, -1],
    ['2026-12-01', '2026-11-08', 'pl_x', 'Morning Mix', 't5', 'Five', 'Eve', 'climb', 4, 1, 3, 2],
    ['2026-12-01', '2026-11-08', 'pl_x', 'Morning Mix', 't2', 'Two', 'Alma', 'exit', 3, null, null, null],
  ],

  // One row per track, playlist and observed day, in chart order. Places as in playlist_movers.
  // previous_position: the place on the playlist's previous observed day (pl_y: D3's previous is D1).
  // Peaks to date: t3 on pl_x 3 (D1), then 1 from D2 (peak_date D2); t5 4 (D2), then 1 on D4; t6 on pl_y
  // 3, then 1 on D3. last_seen_date spans the history: t2 left pl_x after D3, t4 after D1.
  chart_history: [
    [
      '2026-11-01',
      'pl_x',
      'Morning Mix',
      't1',
      'One',
      'Alma',
      1,
      null,
      1,
      '2026-11-01',
      1,
      '2026-11-01',
      '2026-12-01',
    ],
    [
      '2026-11-01',
      'pl_x',
      'Morning Mix',
      't2',
      'Two',
      'Alma',
      2,
      null,
      2,
      '2026-11-01',
      1,
      '2026-11-01',
      '2026-11-08',
    ],
    [
      '2026-11-01',
      'pl_x',
      'Morning Mix',
      't3',
      'Three',
      'Bruno',
      3,
      null,
      3,
      '2026-11-01',
      1,
      '2026-11-01',
      '2026-12-01',
    ],
    [
      '2026-11-01',
      'pl_x',
      'Morning Mix',
      't4',
      'Four',
      'Cleo',
      4,
      null,
      4,
      '2026-11-01',
      1,
      '2026-11-01',
      '2026-11-01',
    ],
    [
      '2026-11-01',
      'pl_y',
      'Night Shift',
      't4',
      'Four',
      'Cleo',
      1,
      null,
      1,
      '2026-11-01',
      1,
      '2026-11-01',
      '2026-11-08',
    ],
    [
      '2026-11-01',
      'pl_y',
      'Night Shift',
      't6',
      'Six',
      'Cleo',
      3,
      null,
      3,
      '2026-11-01',
      1,
      '2026-11-01',
      '2026-11-08',
    ],
    [
      '2026-11-02',
      'pl_x',
      'Morning Mix',
      't3',
      'Three',
      'Bruno',
      1,
      3,
      1,
      '2026-11-02',
      2,
      '2026-11-01',
      '2026-12-01',
    ],
    [
      '2026-11-02',
      'pl_x',
      'Morning Mix',
      't1',
      'One',
      'Alma',
      2,
      1,
      1,
      '2026-11-01',
      2,
      '2026-11-01',
      '2026-12-01',
    ],
    [
      '2026-11-02',
      'pl_x',
      'Morning Mix',
      't2',
      'Two',
      'Alma',
      3,
      2,
      2,
      '2026-11-01',
      2,
      '2026-11-01',
      '2026-11-08',
    ],
    [
      '2026-11-02',
      'pl_x',
      'Morning Mix',
      't5',
      'Five',
      'Eve',
      4,
      null,
      4,
      '2026-11-02',
      1,
      '2026-11-02',
      '2026-12-01',
    ],
    [
      '2026-11-08',
      'pl_x',
      'Morning Mix',
      't3',
      'Three',
      'Bruno',
      1,
      1,
      1,
      '2026-11-02',
      3,
      '2026-11-01',
      '2026-12-01',
    ],
    [
      '2026-11-08',
      'pl_x',
      'Morning Mix',
      't1',
      'One',
      'Alma',
      2,
      2,
      1,
      '2026-11-01',
      3,
      '2026-11-01',
      '2026-12-01',
    ],
    [
      '2026-11-08',
      'pl_x',
      'Morning Mix',
      't2',
      'Two',
      'Alma',
      3,
      3,
      2,
      '2026-11-01',
      3,
      '2026-11-01',
      '2026-11-08',
    ],
    [
      '2026-11-08',
      'pl_x',
      'Morning Mix',
      't5',
      'Five',
      'Eve',
      4,
      4,
      4,
      '2026-11-02',
      2,
      '2026-11-02',
      '2026-12-01',
    ],
    [
      '2026-11-08',
      'pl_y',
      'Night Shift',
      't6',
      'Six',
      'Cleo',
      1,
      3,
      1,
      '2026-11-08',
      2,
      '2026-11-01',
      '2026-11-08',
    ],
    [
      '2026-11-08',
      'pl_y',
      'Night Shift',
      't4',
      'Four',
      'Cleo',
      3,
      1,
      1,
      '2026-11-01',
      2,
      '2026-11-01',
      '2026-11-08',
    ],
    [
      '2026-12-01',
      'pl_x',
      'Morning Mix',
      't5',
      'Five',
      'Eve',
      1,
      4,
      1,
      '2026-12-01',
      3,
      '2026-11-02',
      '2026-12-01',
    ],
    [
      '2026-12-01',
      'pl_x',
      'Morning Mix',
      't3',
      'Three',
      'Bruno',
      2,
      1,
      1,
      '2026-11-02',
      4,
      '2026-11-01',
      '2026-12-01',
    ],
    [
      '2026-12-01',
      'pl_x',
      'Morning Mix',
      't1',
      'One',
      'Alma',
      3,
      2,
      1,
      '2026-11-01',
      4,
      '2026-11-01',
      '2026-12-01',
    ],
  ],

  // reached_date: the earlier of the first observation (D1 = 11-01 for the tracks there from the start)
  // and the earliest added_at: t1, t2 06-05 and t3 10-23 on pl_x; t5 11-02 (both). t4 reached pl_y on
  // 04-10 (its first listing; the second says 10-16) and pl_x on 06-05: pl_y is step 1, pl_x step 2, 56
  // days later. Days after release: t1, t2 2020-01-15 -> 2026-06-05: 2333; t3 10-20 -> 10-23: 3; t4
  // 1999-01-01 -> 04-10: 9961 and -> 06-05: 10017; t5 11-05 -> 11-02: -3 (a pre-save); t6 undated: NULL.
  track_journey: [
    [
      't1',
      'One',
      'Alma',
      '2020-01-15',
      1,
      'pl_x',
      'Morning Mix',
      '2026-06-05',
      2333,
      0,
      '2026-11-01',
      '2026-12-01',
      1,
      4,
      1,
    ],
    [
      't2',
      'Two',
      'Alma',
      '2020-01-15',
      1,
      'pl_x',
      'Morning Mix',
      '2026-06-05',
      2333,
      0,
      '2026-11-01',
      '2026-11-08',
      2,
      3,
      1,
    ],
    [
      't3',
      'Three',
      'Bruno',
      '2026-10-20',
      1,
      'pl_x',
      'Morning Mix',
      '2026-10-23',
      3,
      0,
      '2026-11-01',
      '2026-12-01',
      1,
      4,
      1,
    ],
    [
      't4',
      'Four',
      'Cleo',
      '1999-01-01',
      1,
      'pl_y',
      'Night Shift',
      '2026-04-10',
      9961,
      0,
      '2026-11-01',
      '2026-11-08',
      1,
      2,
      2,
    ],
    [
      't4',
      'Four',
      'Cleo',
      '1999-01-01',
      2,
      'pl_x',
      'Morning Mix',
      '2026-06-05',
      10017,
      56,
      '2026-11-01',
      '2026-11-01',
      4,
      1,
      2,
    ],
    [
      't5',
      'Five',
      'Eve',
      '2026-11-05',
      1,
      'pl_x',
      'Morning Mix',
      '2026-11-02',
      -3,
      0,
      '2026-11-02',
      '2026-12-01',
      1,
      3,
      1,
    ],
    [
      't6',
      'Six',
      'Cleo',
      null,
      1,
      'pl_y',
      'Night Shift',
      '2026-10-16',
      null,
      0,
      '2026-11-01',
      '2026-11-08',
      1,
      2,
      1,
    ],
  ],

  // (playlists, positions, best place) per artist and day; every credited artist counts (Dax via t2):
  //   D1: Alma t1@x1 t2@x2 -> 1, 2, 1 | Bruno t3@x3 -> 1, 1, 3 | Cleo t4@x4, t4@y1, t6@y3, t4@y4 -> 2, 4, 1
  //       | Dax t2@x2 -> 1, 1, 2
  //   D2: Alma t1@x2 t2@x3 -> 1, 2, 2 | Bruno t3@x1 -> 1, 1, 1 | Dax 1, 1, 3 | Eve t5@x4 -> 1, 1, 4
  //   D3: as D2 for pl_x, plus Cleo t6@y1 t4@y3 -> 1, 2, 1
  //   D4: Alma t1@x3 -> 1, 1, 3 | Bruno t3@x2 -> 1, 1, 2 | Eve t5@x1 -> 1, 1, 1
  // 7-day changes exist on D3 only (D1 was observed), 30-day changes on D4 only (vs D1); Eve was absent
  // on D1, so she gains 1 playlist and 1 position. Cleo on D3: 1 - 2 playlists, 2 - 4 positions.
  // Alma on D4: 1 - 1 playlists, 1 - 2 positions.
  artist_presence: [
    ['2026-11-01', 'ar_a', 'Alma', 1, 2, 1, null, null, null, null],
    ['2026-11-01', 'ar_b', 'Bruno', 1, 1, 3, null, null, null, null],
    ['2026-11-01', 'ar_c', 'Cleo', 2, 4, 1, null, null, null, null],
    ['2026-11-01', 'ar_d', 'Dax', 1, 1, 2, null, null, null, null],
    ['2026-11-02', 'ar_a', 'Alma', 1, 2, 2, null, null, null, null],
    ['2026-11-02', 'ar_b', 'Bruno', 1, 1, 1, null, null, null, null],
    ['2026-11-02', 'ar_d', 'Dax', 1, 1, 3, null, null, null, null],
    ['2026-11-02', 'ar_e', 'Eve', 1, 1, 4, null, null, null, null],
    ['2026-11-08', 'ar_a', 'Alma', 1, 2, 2, 0, null, 0, null],
    ['2026-11-08', 'ar_b', 'Bruno', 1, 1, 1, 0, null, 0, null],
    ['2026-11-08', 'ar_c', 'Cleo', 1, 2, 1, -1, null, -2, null],
    ['2026-11-08', 'ar_d', 'Dax', 1, 1, 3, 0, null, 0, null],
    ['2026-11-08', 'ar_e', 'Eve', 1, 1, 4, 1, null, 1, null],
    ['2026-12-01', 'ar_a', 'Alma', 1, 1, 3, null, 0, null, -1],
    ['2026-12-01', 'ar_b', 'Bruno', 1, 1, 2, null, 0, null, 0],
    ['2026-12-01', 'ar_e', 'Eve', 1, 1, 1, null, 1, null, 1],
  ],

  // Robust z-scores need 7 observed days in the trailing 28: the playlists were observed on 4 days and
  // the user played on 6, so no day qualifies. src/insights/new-insights.test.ts has a series that does.
  noteworthy: [],

  // Ages of the dated tracks (t6's album has no date, so t6 is left out):
  //   D1 pl_x t1 2482, t2 2482, t3 12, t4 10166 -> sorted 12, 2482, 2482, 10166: median 2482,
  //      mean 15142 / 4 = 3785.5, one at most 30 days old (t3): 1 / 4
  //   D1 pl_y t4 twice, 10166 each: median and mean 10166, none fresh
  //   D2 pl_x t3 13, t1 2483, t2 2483, t5 -3 (a pre-release) -> median (13 + 2483) / 2 = 1248,
  //      mean 4976 / 4 = 1244, fresh: t3 and t5 -> 2 / 4
  //   D3 pl_x t3 19, t1 2489, t2 2489, t5 3 -> median (19 + 2489) / 2 = 1254, mean 5000 / 4 = 1250, 2 / 4
  //   D3 pl_y t4 10173 (t6 undated, the episode is no track) -> 1 track
  //   D4 pl_x t5 26, t3 42, t1 2512 -> median 42, mean 2580 / 3 = 860, fresh: t5 only -> 1 / 3 = 0.3333
  release_recency: [
    ['2026-11-01', 'pl_x', 'Morning Mix', 4, 2482, 3785.5, 1, 0.25],
    ['2026-11-01', 'pl_y', 'Night Shift', 2, 10166, 10166, 0, 0],
    ['2026-11-02', 'pl_x', 'Morning Mix', 4, 1248, 1244, 2, 0.5],
    ['2026-11-08', 'pl_x', 'Morning Mix', 4, 1254, 1250, 2, 0.5],
    ['2026-11-08', 'pl_y', 'Night Shift', 1, 10173, 10173, 0, 0],
    ['2026-12-01', 'pl_x', 'Morning Mix', 3, 42, 860, 1, 0.3333],
  ],

  // As of each playlist's last observation. pl_x on D4 (12-01): t5, t3, t1, added 11-02 (29 days
  //   before), 10-23 and 06-05: none in the last 28 days. Update days ever: Fri 06-05, Fri 10-23, Mon
  //   11-02 -> Friday, 2 / 3. Frontline (released within 548 days): t5 (26 days), t3 (42); catalogue: t1
  //   -> 2 / 3. Curators ana (t3, t1) and ben (t5): ana 2 / 3. Last add 11-02, 29 days before.
  // pl_y on D3 (11-08): t6 (added 10-16, 23 days before), the episode (11-05, 3 days), t4 (04-10): 2 of
  //   3 items in the last 28 days. Update days: Fri 04-10, Fri 10-16, Thu 11-05 -> Friday, 2 / 3. t4 is
  //   catalogue, t6 undated, the episode no track: 0 / 1. All three by cara. Last add 11-05, 3 days.
  playlist_profile: [
    [
      'pl_x',
      'Morning Mix',
      '2026-12-01',
      3,
      3,
      0,
      0,
      3,
      'Friday',
      0.6667,
      2,
      1,
      0.6667,
      2,
      'ana',
      0.6667,
      '2026-11-02',
      29,
    ],
    [
      'pl_y',
      'Night Shift',
      '2026-11-08',
      3,
      2,
      2,
      0.6667,
      3,
      'Friday',
      0.6667,
      0,
      1,
      0,
      1,
      'cara',
      1,
      '2026-11-05',
      3,
    ],
  ],

  // as_of_date = the latest artists.last_seen_at = 2026-12-01, in 2026 Q4 (quarter index 2026 * 4 + 4 = 8108).
  // Alma: al_6 single 2018-03-10 (Q1: 8073) and al_1 album 2020-01-15 -> 8108 - 8073 + 1 = 36 quarters,
  //   2 / 36 = 0.0556 -> 0.06 per quarter; gap 676 days; 2512 days since al_1; nothing in the last year.
  // Bruno: al_7 compilation 2025-12-01 (Q4: 8104) and al_2 single 2026-10-20 (al_8 is appears_on) ->
  //   5 quarters, 2 / 5 = 0.4; gap 323 days; 42 days since al_2. In the last 365 days: al_2 (42 days
  //   old) but not al_7 (exactly 365 days old) -> 1.
  // Cleo: al_3 1999 -> 1999-01-01 (Q1: 7997) only (al_5 has no date) -> 112 quarters, 1 / 112 = 0.0089
  //   -> 0.01; one release, so no gap; 10196 days since.
  // Eve's single was found by search only: she is not a watched artist.
  discography_cadence: [
    ['ar_a', 'Alma', 2, 1, 1, 0, '2018-03-10', '2020-01-15', 36, 0.06, 0, 676, 2512, '2026-12-01'],
    ['ar_b', 'Bruno', 2, 0, 1, 1, '2025-12-01', '2026-10-20', 5, 0.4, 1, 323, 42, '2026-12-01'],
    ['ar_c', 'Cleo', 1, 1, 0, 0, '1999-01-01', '1999-01-01', 112, 0.01, 0, null, 10196, '2026-12-01'],
  ],

  // Watched artists' releases in the 90 days up to as_of_date 12-01: Bruno's al_2 (42 days). al_7 is
  // 365 days old, al_8 is appears_on, al_4 (Eve) came from a search, not the watchlist.
  new_releases: [
    [
      '2026-10-20',
      'al_2',
      'Second Wind',
      'single',
      'ar_b',
      'Bruno',
      2,
      'North Records',
      '2026-10-21',
      42,
      '2026-12-01',
    ],
  ],

  // Watched: Alma, Bruno, Cleo. t2 credits Alma and Dax (not watched); t7 Bruno and Alma (both watched:
  // a row each way). Cleo shares no track.
  collaborations: [
    ['ar_a', 'Alma', 'ar_b', 'Bruno', true, 1, 't7', 'Seven', '2026-10-20'],
    ['ar_a', 'Alma', 'ar_d', 'Dax', false, 1, 't2', 'Two', '2020-01-15'],
    ['ar_b', 'Bruno', 'ar_a', 'Alma', true, 1, 't7', 'Seven', '2026-10-20'],
  ],

  // Nine plays: Fri 10-30 21:10 t1, 21:40 t1 | Sat 10-31 09:00 t3 | Sun 11-01 23:30 t3 | Mon 11-02 21:05 t3
  //   | Fri 11-06 21:15 t5, 21:50 t1 | Sat 11-07 10:30 t4, 10:45 tX (unknown: no duration).
  // Friday 21h: 4 plays, 3 x 200000 + 150000 ms = 12.5 min, 4 / 9. Saturday 10h: 300000 ms = 5 min, 2 / 9.
  // The others: one play of t3 (240000 ms = 4 min), 1 / 9 each.
  listening_hours: [
    [1, 'Monday', 21, 1, 4, 0.1111],
    [5, 'Friday', 21, 4, 12.5, 0.4444],
    [6, 'Saturday', 9, 1, 4, 0.1111],
    [6, 'Saturday', 10, 2, 5, 0.2222],
    [7, 'Sunday', 23, 1, 4, 0.1111],
  ],

  // October: t1, t1, t3 (3 plays). November: t3 (Sun 1st), t3, t5, t1, t4, tX (6 plays).
  // Week of 10-26 (Sunday 11-01 included): t1, t1, t3, t3 (4). Week of 11-02: t3, t5, t1, t4, tX (5).
  // Artists are the primary artists: t1 Alma, t3 Bruno, t4 Cleo, t5 Eve; tX has none. Ties go by id.
  top_played: [
    ['month', '2026-10-01', 'artist', 1, 'ar_a', 'Alma', 2, 0.6667],
    ['month', '2026-10-01', 'artist', 2, 'ar_b', 'Bruno', 1, 0.3333],
    ['month', '2026-10-01', 'track', 1, 't1', 'One', 2, 0.6667],
    ['month', '2026-10-01', 'track', 2, 't3', 'Three', 1, 0.3333],
    ['month', '2026-11-01', 'artist', 1, 'ar_b', 'Bruno', 2, 0.3333],
    ['month', '2026-11-01', 'artist', 2, 'ar_a', 'Alma', 1, 0.1667],
    ['month', '2026-11-01', 'artist', 3, 'ar_c', 'Cleo', 1, 0.1667],
    ['month', '2026-11-01', 'artist', 4, 'ar_e', 'Eve', 1, 0.1667],
    ['month', '2026-11-01', 'track', 1, 't3', 'Three', 2, 0.3333],
    ['month', '2026-11-01', 'track', 2, 't1', 'One', 1, 0.1667],
    ['month', '2026-11-01', 'track', 3, 't4', 'Four', 1, 0.1667],
    ['month', '2026-11-01', 'track', 4, 't5', 'Five', 1, 0.1667],
    ['month', '2026-11-01', 'track', 5, 'tX', null, 1, 0.1667],
    ['week', '2026-10-26', 'artist', 1, 'ar_a', 'Alma', 2, 0.5],
    ['week', '2026-10-26', 'artist', 2, 'ar_b', 'Bruno', 2, 0.5],
    ['week', '2026-10-26', 'track', 1, 't1', 'One', 2, 0.5],
    ['week', '2026-10-26', 'track', 2, 't3', 'Three', 2, 0.5],
    ['week', '2026-11-02', 'artist', 1, 'ar_a', 'Alma', 1, 0.2],
    ['week', '2026-11-02', 'artist', 2, 'ar_b', 'Bruno', 1, 0.2],
    ['week', '2026-11-02', 'artist', 3, 'ar_c', 'Cleo', 1, 0.2],
    ['week', '2026-11-02', 'artist', 4, 'ar_e', 'Eve', 1, 0.2],
    ['week', '2026-11-02', 'track', 1, 't1', 'One', 1, 0.2],
    ['week', '2026-11-02', 'track', 2, 't3', 'Three', 1, 0.2],
    ['week', '2026-11-02', 'track', 3, 't4', 'Four', 1, 0.2],
    ['week', '2026-11-02', 'track', 4, 't5', 'Five', 1, 0.2],
    ['week', '2026-11-02', 'track', 5, 'tX', null, 1, 0.2],
  ],

  // Plays with a known primary artist (tX's is not): week of 10-26 Alma, Alma, Bruno, Bruno (all first
  // heard that week); week of 11-02 Bruno, Eve, Alma, Cleo, of which Eve and Cleo are first heard: 2 / 4.
  discovery_rate: [
    ['2026-10-26', 4, 4, 1, 2, 2],
    ['2026-11-02', 4, 2, 0.5, 4, 2],
  ],

  // The two imported streams (skips under 30 s): October t2, 12 s of 180 s, skipped; November t6, 20 s
  //   of 210 s, skipped null and reason_end trackdone: not skipped, completed (by its reason).
  listening_completion: [
    ['2026-10-01', 1, 1, 1, 0, 0, 1, 0.0667, 0.2],
    ['2026-11-01', 1, 0, 0, 1, 1, 1, 0.0952, 0.3],
  ],

  // Sessions (a start more than 30 min after everything before ended starts a new one):
  //   10-30: 21:06:40-21:10 t1, 21:11:48-21:12 t2 (stream), 21:36:40-21:40 t1: one session, 33.3 min.
  //   10-31, 11-01, 11-02: one play each, its track's length (4 min).
  //   11-06: 21:12:30-21:15 t5, then 21:46:40 t1 (31 min 40 s later): two sessions, 2.5 and 3.3 min.
  //   11-07: 10:25-10:30 t4, 10:45 tX (unknown length), 10:45:40-10:46 t6 (stream): one, 21 min.
  listening_sessions: [
    ['2026-10-30', 1, 3, 33.3, 33.3, 33.3],
    ['2026-10-31', 1, 1, 4, 4, 4],
    ['2026-11-01', 1, 1, 4, 4, 4],
    ['2026-11-02', 1, 1, 4, 4, 4],
    ['2026-11-06', 2, 2, 5.8, 2.9, 3.3],
    ['2026-11-07', 1, 3, 21, 21, 21],
  ],

  // Days with plays (the streams are under 30 s): 10-30 (2), 10-31, 11-01, 11-02, then 11-06 (2), 11-07 (2).
  listening_streaks: [
    ['2026-10-30', '2026-11-02', 4, 5, 1, 5],
    ['2026-11-06', '2026-11-07', 2, 4, 2, 0],
  ],

  // D1 artists: short Alma 1, Eve 2 | medium Alma 1, Bruno 2 | long Bruno 1, Alma 2.
  //   Alma steady (2 - 1 = +1), Eve new, Bruno faded (medium only does not count).
  // D1 tracks: short t5 | medium t3 (no row: neither short nor long) | long t1.
  taste_drift: [
    ['2026-11-01', 'artists', 'ar_a', 'Alma', 1, 1, 2, 'steady', 1],
    ['2026-11-01', 'artists', 'ar_e', 'Eve', 2, null, null, 'new', null],
    ['2026-11-01', 'artists', 'ar_b', 'Bruno', null, 2, 1, 'faded', null],
    ['2026-11-01', 'tracks', 't5', 'Five', 1, null, null, 'new', null],
    ['2026-11-01', 'tracks', 't1', 'One', null, null, 1, 'faded', null],
  ],

  // Durations (ms) and explicit flags: t1 200000 no, t2 180000 yes, t3 240000 no, t4 300000 yes,
  // t5 150000 no, t6 210000 no, ep1 1800000 yes; the local file has neither.
  //   D1 pl_x: 180k, 200k, 240k, 300k -> median (200k + 240k) / 2 = 220000, p90 = the ceil(0.9 * 4) = 4th
  //      = 300000, total 920000; explicit t2, t4: 2 / 4
  //   D1 pl_y: t4, local, t6, t4 -> 4 items, 3 tracks; 210k, 300k, 300k -> median 300000, p90 3rd = 300000,
  //      total 810000; explicit 2 of the 3 known: 0.6667
  //   D2 and D3 pl_x: 150k, 180k, 200k, 240k -> median 190000, p90 240000, total 770000; explicit t2: 1 / 4
  //   D3 pl_y: t6, ep1, t4 -> 2 tracks, 1 episode; 210k, 300k, 1800k -> median 300000, p90 1800000,
  //      total 2310000; explicit ep1, t4: 2 / 3
  //   D4 pl_x: 150k, 200k, 240k -> median 200000, p90 240000, total 590000; nothing explicit
  content_mix: [
    ['2026-11-01', 'pl_x', 'Morning Mix', 4, 4, 0, 2, 0.5, 220000, 300000, 920000],
    ['2026-11-01', 'pl_y', 'Night Shift', 4, 3, 0, 2, 0.6667, 300000, 300000, 810000],
    ['2026-11-02', 'pl_x', 'Morning Mix', 4, 4, 0, 1, 0.25, 190000, 240000, 770000],
    ['2026-11-08', 'pl_x', 'Morning Mix', 4, 4, 0, 1, 0.25, 190000, 240000, 770000],
    ['2026-11-08', 'pl_y', 'Night Shift', 3, 2, 1, 2, 0.6667, 300000, 1800000, 2310000],
    ['2026-12-01', 'pl_x', 'Morning Mix', 3, 3, 0, 0, 0, 200000, 240000, 590000],
  ],

  // Alma: D1 50 / 1000, D2 52 / 1100, D3 55 / 1500, D4 60 / 3000. Bruno: D1 40 / 0, D3 38 / 10.
  //   Alma D2: 1 day after D1: +2, +100. Alma D3: no snapshot on 11-07; 7 days after D1: +5, +500,
  //   500 / 1000 = 0.5. Alma D4: only D1 is at a whole distance (30 days): +10, +2000, 2000 / 1000 = 2.
  //   Bruno D3: 7 days after D1: -2, +10; growth unknown (0 followers then).
  rising_artists: [
    ['2026-11-01', 'ar_a', 'Alma', 50, 1000, null, null, null, null, null, null, null, null],
    ['2026-11-01', 'ar_b', 'Bruno', 40, 0, null, null, null, null, null, null, null, null],
    ['2026-11-02', 'ar_a', 'Alma', 52, 1100, 2, null, null, 100, null, null, null, null],
    ['2026-11-08', 'ar_a', 'Alma', 55, 1500, null, 5, null, null, 500, null, 0.5, null],
    ['2026-11-08', 'ar_b', 'Bruno', 38, 10, null, -2, null, null, 10, null, null, null],
    ['2026-12-01', 'ar_a', 'Alma', 60, 3000, null, null, 10, null, null, 2000, null, 2],
  ],

  // Labels: al_1 (t1, t2) and al_2 (t3) North Records; al_3 (t4) and al_5 (t6) Gold Vault; al_4 (t5)
  // Indie Co. Slots per day (a track listed twice holds two):
  //   D1 pl_x t1 t2 t3 North, t4 Gold; pl_y t4, t6, t4 Gold -> Gold 4 of 7 (2 playlists, 2 tracks), North 3
  //   D2 pl_x t3 t1 t2 North, t5 Indie -> 3 / 4, 1 / 4
  //   D3 as D2 plus pl_y t6, t4 Gold -> North 3 / 6, Gold 2 / 6, Indie 1 / 6
  //   D4 pl_x t5 Indie, t3 t1 North -> 2 / 3, 1 / 3
  label_share: [
    ['2026-11-01', 'Gold Vault', 4, 2, 2, 0.5714, 1],
    ['2026-11-01', 'North Records', 3, 1, 3, 0.4286, 2],
    ['2026-11-02', 'North Records', 3, 1, 3, 0.75, 1],
    ['2026-11-02', 'Indie Co', 1, 1, 1, 0.25, 2],
    ['2026-11-08', 'North Records', 3, 1, 3, 0.5, 1],
    ['2026-11-08', 'Gold Vault', 2, 1, 2, 0.3333, 2],
    ['2026-11-08', 'Indie Co', 1, 1, 1, 0.1667, 3],
    ['2026-12-01', 'North Records', 2, 1, 2, 0.6667, 1],
    ['2026-12-01', 'Indie Co', 1, 1, 1, 0.3333, 2],
  ],

  // t3: D1 30, D2 33 (+3 in 1 day), D3 40 (+10 on D1, 7 days before; nothing on 11-07), D4 45 (+15 on D1,
  // 30 days before). t5: D2 10, D3 20 (nothing 1 or 7 days before).
  track_momentum: [
    ['2026-11-01', 't3', 'Three', 'Bruno', 30, null, null, null],
    ['2026-11-02', 't3', 'Three', 'Bruno', 33, 3, null, null],
    ['2026-11-02', 't5', 'Five', 'Eve', 10, null, null, null],
    ['2026-11-08', 't3', 'Three', 'Bruno', 40, null, 10, null],
    ['2026-11-08', 't5', 'Five', 'Eve', 20, null, null, null],
    ['2026-12-01', 't3', 'Three', 'Bruno', 45, null, null, 15],
  ],
};
