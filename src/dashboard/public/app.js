// The dashboard page: reads /api/status and /api/filters, then draws one page of panels at a time
// (the hash names the page). Each panel is one view of one insight from /api/insights/<name>; the
// page sends only the filters the status says that insight has. Plain DOM, no build step; ECharts
// draws with its SVG renderer. Pages are data: an insight the page has no panels for (a new one in
// the registry) gets a page with its table.
/* global echarts */

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const PALETTE = ['#1db954', '#3b82f6', '#f59e0b', '#ef4444', '#8b5cf6', '#14b8a6', '#ec4899', '#64748b'];

const state = {
  status: null,
  filters: { playlists: [], artists: [], dates: null },
  page: null,
  /** The capability matrix, once asked for (the server probes Spotify on the first request only). */
  capabilities: null,
  capabilitiesOpen: false,
};
/** Chart instances by panel id, for resizing and for tests (`window.tunelakeCharts`). */
const charts = new Map();
window.tunelakeCharts = charts;

// --- small helpers ---------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function spotifyLink(type, id, label) {
  if (!id) return document.createTextNode(label ?? '');
  return el('a', {
    href: `https://open.spotify.com/${type}/${encodeURIComponent(id)}`,
    target: '_blank',
    rel: 'noopener noreferrer',
    text: label ?? id,
  });
}

/** The dashboard's own page of a track: its chart history and journey through the watched playlists. */
function trackPageLink(id) {
  return el('a', {
    href: hashFor('track', currentFilters(), { id }),
    class: 'track-page',
    'data-track': id,
    title: 'Chart history and journey of this track',
    text: '\u2197 history',
  });
}

const fmt = {
  int: (v) => (v === null || v === undefined ? '' : Number(v).toLocaleString('en-US')),
  signed: (v) =>
    v === null || v === undefined ? '' : `${v > 0 ? '+' : ''}${Number(v).toLocaleString('en-US')}`,
  pct: (v) => (v === null || v === undefined ? '' : `${(Number(v) * 100).toFixed(1)}%`),
  days: (v) => (v === null || v === undefined ? '' : `${Math.round(Number(v))} d`),
  minutes: (v) => (v === null || v === undefined ? '' : `${(Number(v) / 60000).toFixed(1)} min`),
  hours: (v) => (v === null || v === undefined ? '' : `${(Number(v) / 3600000).toFixed(1)} h`),
  dec: (v) => (v === null || v === undefined ? '' : Number(v).toFixed(2)),
  years: (v) => (v === null || v === undefined ? '' : `${(Number(v) / 365.25).toFixed(1)} y`),
  min: (v) => (v === null || v === undefined ? '' : `${Number(v).toFixed(1)} min`),
};

/** "listening_sessions" -> "Listening sessions": column names as people read them. */
function humanize(name) {
  return name.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());
}

/** Axis labels for shares (0..1) as percentages. */
const pctAxis = { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } };

async function api(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await response.json();
  if (!response.ok) {
    const error = new Error(body?.error?.message ?? `HTTP ${response.status}`);
    error.code = body?.error?.code;
    throw error;
  }
  return body;
}

function insightStatus(name) {
  return state.status?.insights.find((i) => i.name === name);
}

const FILTER_KEYS = ['from', 'to', 'playlist', 'artist'];

/** The query string for an insight: the current filters it supports, plus the view. */
function insightQuery(name, view, extra = {}) {
  const info = insightStatus(name);
  const params = new URLSearchParams();
  if (view) params.set('view', view);
  const f = currentFilters();
  if (info?.filters.date) {
    if (f.from) params.set('from', f.from);
    if (f.to) params.set('to', f.to);
  }
  if (info?.filters.playlist && f.playlist) params.set('playlist', f.playlist);
  if (info?.filters.artist && f.artist) params.set('artist', f.artist);
  for (const [k, v] of Object.entries(extra)) params.set(k, String(v));
  return params;
}

function insightUrl(name, view, extra = {}) {
  return `/api/insights/${encodeURIComponent(name)}?${insightQuery(name, view, extra)}`;
}

/** The same answer as CSV, as many rows as the server gives (GET /api/insights/<name>.csv). */
function csvUrl(name, view) {
  return `/api/insights/${encodeURIComponent(name)}.csv?${insightQuery(name, view, { limit: 10000 })}`;
}

/**
 * The filters the page has that this insight cannot apply, each with why: the page says so on the
 * panel instead of silently showing the unfiltered answer.
 */
function ignoredFilters(panel) {
  const filters = panel.filters ?? insightStatus(panel.insight)?.filters;
  const f = currentFilters();
  const out = [];
  if ((f.from || f.to) && !filters?.date) out.push({ key: 'dates', why: 'it has no date per row' });
  if (f.playlist && !filters?.playlist) out.push({ key: 'playlist', why: 'it is not about playlists' });
  if (f.artist && !filters?.artist) out.push({ key: 'artist', why: 'it has no artist per row' });
  return out;
}

function currentFilters() {
  return {
    from: document.getElementById('f-from').value,
    to: document.getElementById('f-to').value,
    playlist: document.getElementById('f-playlist').value,
    artist: document.getElementById('f-artist').value,
  };
}

// --- the URL: #<page>?from=&to=&playlist=&artist= (a view can be shared; back and forward work) -----

function parseHash(hash = location.hash) {
  const text = hash.replace(/^#/, '');
  const at = text.indexOf('?');
  const raw = at < 0 ? text : text.slice(0, at);
  let page = raw;
  try {
    page = decodeURIComponent(raw);
  } catch {
    // A hand-edited link with a stray %: the first page, not a broken one.
    page = '';
  }
  const params = new URLSearchParams(at < 0 ? '' : text.slice(at + 1));
  const filters = {};
  for (const key of FILTER_KEYS) filters[key] = params.get(key) ?? '';
  return { page, filters, track: params.get('id') ?? '' };
}

function hashFor(page, filters = currentFilters(), extra = {}) {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filters[key]) params.set(key, filters[key]);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const query = params.toString();
  return `#${page}${query ? `?${query}` : ''}`;
}

/** Moves to a page and filters through the URL, so that the browser history has every view. */
function navigate(page, filters = currentFilters(), extra = {}) {
  // Not ready from now on (the redraw starts on hashchange, a task later): tests wait for it.
  document.getElementById('page').removeAttribute('data-ready');
  const hash = hashFor(page, filters, extra);
  if (location.hash === hash) applyHash();
  else location.hash = hash;
}

/** Puts the URL's filters into the form, noting values this lake does not have. */
function setFilterInputs(filters) {
  const problems = [];
  for (const key of FILTER_KEYS) {
    const input = document.getElementById(`f-${key}`);
    const value = filters[key] ?? '';
    input.value = value;
    if (value && input.value !== value) {
      problems.push(`${key} "${value}" is not in this lake`);
      input.value = '';
    }
  }
  const note = document.getElementById('f-url-note');
  note.textContent = problems.length ? `Ignored from the link: ${problems.join('; ')}.` : '';
  note.hidden = problems.length === 0;
}

// --- tables ----------------------------------------------------------------------------------------

/**
 * A sortable table: columns are {key, label, format?, num?, link?: (row) => [type, id], tag?, tone?}.
 * Clicking a header sorts by it (again: the other way).
 */
function table(columns, rows, { sortKey, sortDir = 'desc', name } = {}) {
  const wrap = el('div', { class: 'table-wrap' });
  let key = sortKey;
  let dir = sortDir;
  const draw = () => {
    const sorted = [...rows];
    if (key) {
      sorted.sort((a, b) => {
        const x = a[key];
        const y = b[key];
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const cmp =
          typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return dir === 'asc' ? cmp : -cmp;
      });
    }
    const head = el(
      'tr',
      {},
      ...columns.map((c) => {
        const th = el('th', {
          class: c.num ? 'num' : undefined,
          scope: 'col',
          'data-key': c.key,
          'aria-sort': c.key === key ? (dir === 'asc' ? 'ascending' : 'descending') : undefined,
          text: c.label,
        });
        th.addEventListener('click', () => {
          dir = key === c.key && dir === 'desc' ? 'asc' : 'desc';
          key = c.key;
          draw();
        });
        return th;
      }),
    );
    const body = el('tbody');
    for (const row of sorted) {
      const tr = el('tr');
      for (const c of columns) {
        const value = row[c.key];
        const text = c.format
          ? c.format(value, row)
          : value === null || value === undefined
            ? ''
            : String(value);
        const tone =
          c.tone && typeof value === 'number' && value !== 0 ? (value > 0 ? 'up' : 'down') : undefined;
        // Dates never wrap at their hyphens (names do wrap: style.css).
        const date = typeof value === 'string' && /^\d{4}-\d{2}(-\d{2})?$/.test(value) ? 'date' : '';
        const td = el('td', { class: [c.num ? 'num' : '', date, tone ?? ''].join(' ').trim() || undefined });
        if (c.link) {
          const [type, id] = c.link(row);
          td.append(spotifyLink(type, id, text));
          if (type === 'track' && id) td.append(' ', trackPageLink(id));
        } else if (c.tag) {
          td.append(el('span', { class: `tag ${value}`, text }));
        } else {
          td.textContent = text;
        }
        tr.append(td);
      }
      body.append(tr);
    }
    wrap.replaceChildren(
      el('table', { 'data-table': name, 'data-rows': rows.length }, el('thead', {}, head), body),
    );
  };
  draw();
  return wrap;
}

/** A table of every column of an insight, for insights without a page of their own. */
function genericColumns(info) {
  return info.columns.map((c) => {
    const num = ['bigint', 'int', 'double'].includes(c.type);
    const share = /(_rate|_share)$/.test(c.name);
    const col = {
      key: c.name,
      label: humanize(c.name),
      num,
      format: share ? fmt.pct : c.type === 'double' ? fmt.dec : num ? fmt.int : undefined,
    };
    const type = { playlist_id: 'playlist', track_id: 'track', artist_id: 'artist', album_id: 'album' }[
      c.name
    ];
    if (type) col.link = (row) => [type, row[c.name]];
    return col;
  });
}

// --- charts ----------------------------------------------------------------------------------------

function chart(id, option) {
  const box = el('div', { class: 'chart', 'data-chart': id });
  queueMicrotask(() => {
    const old = charts.get(id);
    if (old) old.dispose();
    const grid = { left: 48, right: 24, top: 40, bottom: 40, containLabel: true, ...option.grid };
    if (option.legend) {
      // A legend that wraps needs room above the plot: about 7 px a character, 22 px a line.
      const width = Math.max(200, box.clientWidth - 40);
      const used = (option.series ?? []).reduce((n, s) => n + String(s.name ?? '').length * 7 + 40, 0);
      const lines = Math.max(1, Math.ceil(used / width));
      grid.top = Math.max(grid.top, lines * 22 + 16);
      box.style.height = `${300 + grid.top}px`;
    }
    const instance = echarts.init(box, null, { renderer: 'svg' });
    instance.setOption({
      color: PALETTE,
      animation: false,
      textStyle: { fontFamily: 'system-ui, sans-serif' },
      tooltip: { trigger: 'axis' },
      ...option,
      grid,
    });
    charts.set(id, instance);
    const points = (option.series ?? []).reduce((n, s) => n + (s.data?.length ?? 0), 0);
    box.setAttribute('data-points', String(points));
    box.setAttribute('data-rendered', 'true');
  });
  return box;
}

/** Legends wrap onto more lines instead of paging (a paged legend hides most series). */
const legend = { top: 0, type: 'plain' };

/**
 * A chart as PNG: ECharts' getDataURL on a canvas-rendered copy of the chart (the page draws SVG,
 * whose getDataURL is SVG), on white, at twice the pixels, downloaded as <panel>.png.
 */
function downloadPng(id) {
  const instance = charts.get(id);
  if (!instance) return;
  const source = instance.getDom();
  const box = el('div', {
    style: `position:fixed;left:-10000px;top:0;width:${source.clientWidth}px;height:${source.clientHeight}px`,
  });
  document.body.append(box);
  const copy = echarts.init(box, null, { renderer: 'canvas' });
  try {
    copy.setOption(instance.getOption());
    const url = copy.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' });
    const link = el('a', { href: url, download: `tunelake-${id}.png` });
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    copy.dispose();
    box.remove();
  }
}

/** The movers chart's two value axes, with 0 at the same height: exits below, entries above. */
function twinAxes(rows) {
  const leftMax = Math.max(1, ...rows.map((r) => r.entries));
  const leftMin = -Math.max(0, ...rows.map((r) => r.exits));
  const rightMax = Math.max(1, ...rows.map((r) => Math.max(r.climbs, r.falls)));
  return { leftMin, leftMax, rightMin: (rightMax * leftMin) / leftMax, rightMax };
}

/** Rows of {date, key, value} -> one line series per key over the sorted dates. */
function linesByKey(rows, dateKey, seriesKey, valueKey, nameOf) {
  const dates = [...new Set(rows.map((r) => r[dateKey]))].sort();
  const keys = [...new Set(rows.map((r) => r[seriesKey]))];
  return {
    xAxis: { type: 'category', data: dates },
    yAxis: { type: 'value' },
    legend,
    series: keys.map((k) => {
      const byDate = new Map(rows.filter((r) => r[seriesKey] === k).map((r) => [r[dateKey], r[valueKey]]));
      const first = rows.find((r) => r[seriesKey] === k);
      return {
        type: 'line',
        name: nameOf ? nameOf(first) : String(k),
        showSymbol: true,
        connectNulls: true,
        data: dates.map((d) => byDate.get(d) ?? null),
      };
    }),
  };
}

// --- pages -----------------------------------------------------------------------------------------

/**
 * Each page: a title, the insights it reads, and panels. A panel names an insight and a view and
 * renders the answer into DOM nodes; `wide` spans the grid.
 */
const PAGES = [
  {
    id: 'movers',
    title: 'Playlist movers',
    intro: 'What entered, left, climbed and fell in the watched playlists between snapshots.',
    panels: [
      {
        id: 'movers-timeline',
        insight: 'playlist_movers',
        view: 'timeline',
        title: 'Entries and exits per day',
        sub: 'Entries above the line and exits below it (left axis); climbs and falls as lines (right axis).',
        wide: true,
        render: ({ rows }) => {
          const axes = twinAxes(rows);
          return chart('movers-timeline', {
            xAxis: { type: 'category', data: rows.map((r) => r.snapshot_date) },
            // Entries and exits are the story: their own axis, so that a day of many small climbs and
            // falls does not flatten them to a line (#18).
            // Both axes put 0 at the same height: the right one scaled as the left one.
            yAxis: [
              {
                type: 'value',
                name: 'entries / exits',
                minInterval: 1,
                min: axes.leftMin,
                max: axes.leftMax,
              },
              {
                type: 'value',
                name: 'climbs / falls',
                splitLine: { show: false },
                min: axes.rightMin,
                max: axes.rightMax,
                // Its ends are the scaled extremes (159, -97): only the round ticks are labelled.
                axisLabel: {
                  showMinLabel: false,
                  showMaxLabel: false,
                  formatter: (v) => (Number.isInteger(v) ? String(v) : ''),
                },
              },
            ],
            legend,
            series: [
              {
                type: 'bar',
                name: 'entries',
                stack: 'moves',
                itemStyle: { color: '#1a9e55' },
                data: rows.map((r) => r.entries),
              },
              {
                type: 'bar',
                name: 'exits',
                stack: 'moves',
                itemStyle: { color: '#d64545' },
                data: rows.map((r) => -r.exits),
              },
              {
                type: 'line',
                name: 'climbs',
                yAxisIndex: 1,
                itemStyle: { color: '#3b82f6' },
                data: rows.map((r) => r.climbs),
              },
              {
                type: 'line',
                name: 'falls',
                yAxisIndex: 1,
                itemStyle: { color: '#f59e0b' },
                data: rows.map((r) => r.falls),
              },
            ],
          });
        },
      },
      {
        id: 'movers-latest',
        insight: 'playlist_movers',
        view: 'latest',
        title: 'Biggest moves of the latest day',
        wide: true,
        render: ({ rows }) => {
          const ranked = rows.map((r) => ({
            ...r,
            size: r.delta === null ? (r.move === 'entry' ? 1000 : -1000) : r.delta,
          }));
          return table(
            [
              { key: 'snapshot_date', label: 'Date' },
              { key: 'move', label: 'Move', tag: true },
              { key: 'track_name', label: 'Track', link: (r) => ['track', r.track_id] },
              { key: 'artist_name', label: 'Artist' },
              { key: 'playlist_name', label: 'Playlist', link: (r) => ['playlist', r.playlist_id] },
              { key: 'from_position', label: 'From', num: true },
              { key: 'to_position', label: 'To', num: true },
              { key: 'delta', label: 'Places', num: true, tone: true, format: fmt.signed },
            ],
            ranked,
            { sortKey: 'delta', name: 'movers-latest' },
          );
        },
      },
    ],
  },
  {
    id: 'artists',
    title: 'Artist presence',
    intro: 'How many watched playlists carry each artist, and how that changes.',
    panels: [
      {
        id: 'artists-top',
        insight: 'artist_presence',
        view: 'top',
        title: 'Playlists holding the leading artists',
        sub: 'The 8 most present artists of the latest day (or the chosen artist).',
        wide: true,
        render: ({ rows }) =>
          chart(
            'artists-top',
            linesByKey(rows, 'snapshot_date', 'artist_id', 'playlists', (r) => r.artist_name),
          ),
      },
      {
        id: 'artists-latest',
        insight: 'artist_presence',
        view: 'latest',
        title: 'Presence and momentum on the latest day',
        wide: true,
        render: ({ rows }) =>
          table(
            [
              { key: 'artist_name', label: 'Artist', link: (r) => ['artist', r.artist_id] },
              { key: 'playlists', label: 'Playlists', num: true },
              { key: 'positions', label: 'Positions', num: true },
              { key: 'best_position', label: 'Best #', num: true },
              {
                key: 'playlists_change_7d',
                label: 'Playlists 7d',
                num: true,
                tone: true,
                format: fmt.signed,
              },
              {
                key: 'playlists_change_30d',
                label: 'Playlists 30d',
                num: true,
                tone: true,
                format: fmt.signed,
              },
              {
                key: 'positions_change_7d',
                label: 'Positions 7d',
                num: true,
                tone: true,
                format: fmt.signed,
              },
            ],
            rows,
            { sortKey: 'playlists', name: 'artists-latest' },
          ),
      },
    ],
  },
  {
    id: 'releases',
    title: 'Releases',
    intro: 'How fresh the watched playlists are, and how often the watched artists release.',
    panels: [
      {
        id: 'recency-age',
        insight: 'release_recency',
        view: 'rows',
        title: 'Median track age per playlist (years)',
        render: ({ rows }) =>
          chart(
            'recency-age',
            linesByKey(
              rows.map((r) => ({
                ...r,
                median_age_years:
                  r.median_age_days === null ? null : Math.round((r.median_age_days / 365.25) * 10) / 10,
              })),
              'snapshot_date',
              'playlist_id',
              'median_age_years',
              (r) => r.playlist_name,
            ),
          ),
      },
      {
        id: 'cadence',
        insight: 'discography_cadence',
        view: 'rows',
        title: 'Releases per watched artist',
        sub: 'Albums, singles and compilations.',
        render: ({ rows }) => {
          const sorted = [...rows].sort((a, b) => b.releases - a.releases);
          return chart('cadence', {
            xAxis: {
              type: 'category',
              data: sorted.map((r) => r.artist_name ?? r.artist_id),
              axisLabel: { rotate: 30 },
            },
            yAxis: { type: 'value' },
            legend,
            series: ['albums', 'singles', 'compilations'].map((k) => ({
              type: 'bar',
              name: k,
              stack: 'releases',
              data: sorted.map((r) => r[k]),
            })),
          });
        },
      },
      {
        id: 'recency-latest',
        insight: 'release_recency',
        view: 'latest',
        title: 'Playlist freshness on the latest day',
        render: ({ rows }) =>
          table(
            [
              { key: 'playlist_name', label: 'Playlist', link: (r) => ['playlist', r.playlist_id] },
              { key: 'tracks', label: 'Tracks', num: true },
              { key: 'median_age_days', label: 'Median age', num: true, format: fmt.years },
              { key: 'avg_age_days', label: 'Average age', num: true, format: fmt.years },
              { key: 'share_last_30d', label: 'Last 30 days', num: true, format: fmt.pct },
            ],
            rows,
            { sortKey: 'share_last_30d', name: 'recency-latest' },
          ),
      },
      {
        id: 'cadence-table',
        insight: 'discography_cadence',
        view: 'rows',
        title: 'Release cadence',
        render: ({ rows }) =>
          table(
            [
              { key: 'artist_name', label: 'Artist', link: (r) => ['artist', r.artist_id] },
              { key: 'releases', label: 'Releases', num: true },
              { key: 'releases_per_quarter', label: 'Per quarter', num: true, format: fmt.dec },
              { key: 'releases_last_365d', label: 'Last 365 d', num: true },
              { key: 'last_release_date', label: 'Latest release' },
              { key: 'days_since_last_release', label: 'Days since', num: true },
            ],
            rows,
            { sortKey: 'days_since_last_release', sortDir: 'asc', name: 'cadence-table' },
          ),
      },
    ],
  },
  {
    id: 'listening',
    title: 'Listening',
    intro: 'When the user listens, what they play most, and how much of it is new to them.',
    panels: [
      {
        id: 'hours-heatmap',
        insight: 'listening_hours',
        view: 'rows',
        title: 'Plays by weekday and hour (UTC)',
        wide: true,
        render: ({ rows }) => {
          const max = Math.max(1, ...rows.map((r) => r.plays));
          return chart('hours-heatmap', {
            tooltip: { position: 'top' },
            // The colour scale sits under the hour labels, with room: its handles' labels overlapped them.
            grid: { left: 90, right: 24, top: 10, bottom: 84 },
            xAxis: {
              type: 'category',
              data: [...Array(24).keys()].map((h) => `${h}`.padStart(2, '0')),
              splitArea: { show: true },
            },
            yAxis: { type: 'category', data: WEEKDAYS, inverse: true, splitArea: { show: true } },
            visualMap: {
              min: 0,
              max,
              calculable: true,
              orient: 'horizontal',
              left: 'center',
              bottom: 4,
              itemHeight: 240,
              text: ['more plays', 'fewer'],
              inRange: { color: ['#eef7f1', '#1db954', '#0d5c2a'] },
            },
            series: [
              { type: 'heatmap', name: 'plays', data: rows.map((r) => [r.hour_utc, r.weekday - 1, r.plays]) },
            ],
          });
        },
      },
      {
        id: 'top-played',
        insight: 'top_played',
        view: 'rows',
        title: 'Top artists and tracks',
        controls: { period: ['week', 'month'], kind: ['artist', 'track'] },
        render: ({ rows }, control) => {
          const picked = rows.filter((r) => r.period === control.period && r.kind === control.kind);
          const latest =
            picked
              .map((r) => r.period_start)
              .sort()
              .at(-1) ?? '';
          const top = picked.filter((r) => r.period_start === latest).sort((a, b) => a.rank - b.rank);
          return [
            chart('top-played', {
              tooltip: { trigger: 'axis' },
              grid: { left: 150, right: 24, top: 10, bottom: 30 },
              yAxis: { type: 'category', inverse: true, data: top.map((r) => r.name ?? r.id) },
              xAxis: { type: 'value' },
              series: [{ type: 'bar', name: 'plays', data: top.map((r) => r.plays) }],
            }),
            el('p', {
              class: 'sub',
              text: latest ? `${control.period} from ${latest}` : 'no plays in this range',
            }),
            table(
              [
                { key: 'period_start', label: 'From' },
                { key: 'rank', label: '#', num: true },
                {
                  key: 'name',
                  label: control.kind === 'artist' ? 'Artist' : 'Track',
                  link: (r) => [r.kind, r.id],
                },
                { key: 'plays', label: 'Plays', num: true },
                { key: 'share', label: 'Share', num: true, format: fmt.pct },
              ],
              picked,
              { sortKey: 'period_start', name: 'top-played' },
            ),
          ];
        },
      },
      {
        id: 'discovery',
        insight: 'discovery_rate',
        view: 'rows',
        title: 'Discovery rate per week',
        sub: 'Share of plays by artists first heard that week.',
        render: ({ rows }) => {
          const sorted = [...rows].sort((a, b) => (a.week_start < b.week_start ? -1 : 1));
          // A time axis: an imported history spans years, and weeks without plays are gaps, not
          // neighbours (a category axis put 2018 next to 2026).
          const at = (key) => sorted.map((r) => [r.week_start, r[key]]);
          return chart('discovery', {
            xAxis: { type: 'time' },
            yAxis: [
              { type: 'value', name: 'plays' },
              { ...pctAxis, name: 'new share' },
            ],
            legend,
            dataZoom:
              sorted.length > 30 ? [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 4 }] : [],
            series: [
              { type: 'bar', name: 'plays', barMaxWidth: 24, data: at('plays') },
              { type: 'bar', name: 'new-artist plays', barMaxWidth: 24, data: at('new_artist_plays') },
              {
                type: 'line',
                name: 'new share',
                yAxisIndex: 1,
                showSymbol: sorted.length <= 60,
                data: at('new_artist_share'),
              },
            ],
          });
        },
      },
    ],
  },
  {
    id: 'habits',
    title: 'Listening habits',
    intro:
      'How the user listens: sessions per day, streaks of days with plays, and (from an imported ' +
      'streaming history) how much of each track is heard.',
    panels: [
      {
        id: 'sessions-chart',
        insight: 'listening_sessions',
        view: 'rows',
        title: 'Sessions per day',
        sub: 'A gap of more than 30 minutes starts a new session.',
        wide: true,
        render: ({ rows }) => {
          const sorted = [...rows].sort((a, b) => (a.session_date < b.session_date ? -1 : 1));
          const at = (key) => sorted.map((r) => [r.session_date, r[key]]);
          return chart('sessions-chart', {
            xAxis: { type: 'time' },
            yAxis: [
              { type: 'value', name: 'sessions', minInterval: 1 },
              { type: 'value', name: 'minutes' },
            ],
            legend,
            dataZoom:
              sorted.length > 60 ? [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 4 }] : [],
            series: [
              { type: 'bar', name: 'sessions', barMaxWidth: 18, data: at('sessions') },
              { type: 'line', name: 'average session (min)', yAxisIndex: 1, data: at('avg_session_minutes') },
              {
                type: 'line',
                name: 'longest session (min)',
                yAxisIndex: 1,
                lineStyle: { type: 'dashed' },
                data: at('longest_session_minutes'),
              },
            ],
          });
        },
      },
      {
        id: 'streaks-chart',
        insight: 'listening_streaks',
        view: 'rows',
        title: 'Longest listening streaks',
        sub: 'Runs of consecutive days with at least one play; the ten longest.',
        render: ({ rows }) => {
          const top = [...rows].sort((a, b) => a.rank - b.rank).slice(0, 10);
          return chart('streaks-chart', {
            tooltip: { trigger: 'axis' },
            grid: { left: 170, right: 24, top: 10, bottom: 30 },
            yAxis: {
              type: 'category',
              inverse: true,
              data: top.map((r) => `${r.streak_start} \u2013 ${r.streak_end}`),
            },
            xAxis: { type: 'value', name: 'days', minInterval: 1 },
            series: [{ type: 'bar', name: 'days', data: top.map((r) => r.days) }],
          });
        },
      },
      {
        id: 'streaks-table',
        insight: 'listening_streaks',
        view: 'rows',
        title: 'Streaks',
        render: ({ rows }) =>
          table(
            [
              { key: 'rank', label: '#', num: true },
              { key: 'streak_start', label: 'From' },
              { key: 'streak_end', label: 'To' },
              { key: 'days', label: 'Days', num: true },
              { key: 'plays', label: 'Plays', num: true, format: fmt.int },
              { key: 'days_since_end', label: 'Days since', num: true },
            ],
            rows,
            { sortKey: 'rank', sortDir: 'asc', name: 'streaks-table' },
          ),
      },
      {
        id: 'completion-chart',
        insight: 'listening_completion',
        view: 'rows',
        title: 'Skips and completions per month',
        sub: 'Share of track streams skipped, and completed (ended by the track, or 90% heard).',
        wide: true,
        render: ({ rows }) => {
          const sorted = [...rows].sort((a, b) => (a.month_start < b.month_start ? -1 : 1));
          const at = (key) => sorted.map((r) => [r.month_start, r[key]]);
          return chart('completion-chart', {
            xAxis: { type: 'time' },
            yAxis: [
              { type: 'value', name: 'streams' },
              { ...pctAxis, name: 'share' },
            ],
            legend,
            tooltip: {
              trigger: 'axis',
              valueFormatter: (v) => (typeof v === 'number' && v <= 1 ? fmt.pct(v) : fmt.int(v)),
            },
            series: [
              { type: 'bar', name: 'streams', barMaxWidth: 24, data: at('streams') },
              { type: 'line', name: 'skip rate', yAxisIndex: 1, data: at('skip_rate') },
              { type: 'line', name: 'completion rate', yAxisIndex: 1, data: at('completion_rate') },
              { type: 'line', name: 'average share heard', yAxisIndex: 1, data: at('avg_heard_share') },
            ],
          });
        },
      },
      {
        id: 'completion-table',
        insight: 'listening_completion',
        view: 'rows',
        title: 'Completion by month',
        wide: true,
        render: ({ rows }) =>
          table(
            [
              { key: 'month_start', label: 'Month', format: (v) => String(v ?? '').slice(0, 7) },
              { key: 'streams', label: 'Streams', num: true, format: fmt.int },
              { key: 'skipped', label: 'Skipped', num: true, format: fmt.int },
              { key: 'skip_rate', label: 'Skip rate', num: true, format: fmt.pct },
              { key: 'completed', label: 'Completed', num: true, format: fmt.int },
              { key: 'completion_rate', label: 'Completion rate', num: true, format: fmt.pct },
              { key: 'short_streams', label: 'Under 30 s', num: true, format: fmt.int },
              { key: 'avg_heard_share', label: 'Share heard', num: true, format: fmt.pct },
              { key: 'minutes_played', label: 'Minutes', num: true, format: fmt.int },
            ],
            rows,
            { sortKey: 'month_start', name: 'completion-table' },
          ),
      },
      {
        id: 'sessions-table',
        insight: 'listening_sessions',
        view: 'rows',
        title: 'Sessions by day',
        wide: true,
        render: ({ rows }) =>
          table(
            [
              { key: 'session_date', label: 'Day' },
              { key: 'sessions', label: 'Sessions', num: true },
              { key: 'listens', label: 'Listens', num: true, format: fmt.int },
              { key: 'total_minutes', label: 'Total', num: true, format: fmt.min },
              { key: 'avg_session_minutes', label: 'Average session', num: true, format: fmt.min },
              { key: 'longest_session_minutes', label: 'Longest session', num: true, format: fmt.min },
            ],
            rows,
            { sortKey: 'session_date', name: 'sessions-table' },
          ),
      },
    ],
  },
  {
    id: 'taste',
    title: 'Taste drift',
    intro: 'Short-term against long-term favourites: what is new lately, what has faded.',
    panels: [
      {
        id: 'taste-status',
        insight: 'taste_drift',
        view: 'latest',
        title: 'Steady, new and faded',
        render: ({ rows }) => {
          const statuses = ['steady', 'new', 'faded'];
          const kinds = ['artists', 'tracks'];
          return chart('taste-status', {
            xAxis: { type: 'category', data: kinds },
            yAxis: { type: 'value' },
            legend,
            series: statuses.map((s) => ({
              type: 'bar',
              name: s,
              data: kinds.map((k) => rows.filter((r) => r.kind === k && r.status === s).length),
            })),
          });
        },
      },
      {
        id: 'taste-scatter',
        insight: 'taste_drift',
        view: 'latest',
        title: 'Short-term vs long-term rank (steady items)',
        sub: 'Below the diagonal: ranks higher lately (a smaller short-term rank).',
        render: ({ rows }) => {
          const steady = rows.filter((r) => r.short_term_rank !== null && r.long_term_rank !== null);
          return chart('taste-scatter', {
            tooltip: {
              trigger: 'item',
              formatter: (p) => `${p.data[2]}<br>long #${p.data[0]}, short #${p.data[1]}`,
            },
            xAxis: { type: 'value', name: 'long-term rank', nameLocation: 'middle', nameGap: 26 },
            yAxis: { type: 'value', name: 'short-term rank', nameLocation: 'middle', nameGap: 36 },
            legend,
            series: ['artists', 'tracks'].map((k) => ({
              type: 'scatter',
              name: k,
              data: steady
                .filter((r) => r.kind === k)
                .map((r) => [r.long_term_rank, r.short_term_rank, r.name]),
            })),
          });
        },
      },
      {
        id: 'taste-table',
        insight: 'taste_drift',
        view: 'latest',
        title: 'Rankings on the latest day',
        wide: true,
        render: ({ rows }) =>
          table(
            [
              { key: 'kind', label: 'Kind' },
              { key: 'name', label: 'Name', link: (r) => [r.kind === 'artists' ? 'artist' : 'track', r.id] },
              { key: 'status', label: 'Status', tag: true },
              { key: 'short_term_rank', label: 'Short #', num: true },
              { key: 'medium_term_rank', label: 'Medium #', num: true },
              { key: 'long_term_rank', label: 'Long #', num: true },
              { key: 'rank_change', label: 'Change', num: true, tone: true, format: fmt.signed },
            ],
            rows,
            { sortKey: 'rank_change', name: 'taste-table' },
          ),
      },
    ],
  },
  {
    id: 'mix',
    title: 'Content mix',
    intro: 'What the watched playlists are made of: tracks and episodes, explicit share, lengths.',
    panels: [
      {
        id: 'mix-latest',
        insight: 'content_mix',
        view: 'latest',
        title: 'Items per playlist on the latest day',
        render: ({ rows }) =>
          chart('mix-latest', {
            grid: { left: 150, right: 24, top: 40, bottom: 30 },
            yAxis: {
              type: 'category',
              inverse: true,
              data: rows.map((r) => r.playlist_name ?? r.playlist_id),
            },
            xAxis: { type: 'value' },
            legend,
            series: [
              { type: 'bar', name: 'tracks', stack: 'items', data: rows.map((r) => r.tracks) },
              { type: 'bar', name: 'episodes', stack: 'items', data: rows.map((r) => r.episodes) },
              {
                type: 'bar',
                name: 'other',
                stack: 'items',
                data: rows.map((r) => r.items - r.tracks - r.episodes),
              },
            ],
          }),
      },
      {
        id: 'mix-explicit',
        insight: 'content_mix',
        view: 'rows',
        title: 'Explicit share over time',
        render: ({ rows }) => {
          const option = linesByKey(
            rows,
            'snapshot_date',
            'playlist_id',
            'explicit_share',
            (r) => r.playlist_name,
          );
          option.yAxis = {
            type: 'value',
            max: 1,
            axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` },
          };
          return chart('mix-explicit', option);
        },
      },
      {
        id: 'mix-table',
        insight: 'content_mix',
        view: 'latest',
        title: 'Playlists on the latest day',
        wide: true,
        render: ({ rows }) =>
          table(
            [
              { key: 'playlist_name', label: 'Playlist', link: (r) => ['playlist', r.playlist_id] },
              { key: 'items', label: 'Items', num: true },
              { key: 'tracks', label: 'Tracks', num: true },
              { key: 'episodes', label: 'Episodes', num: true },
              { key: 'explicit_share', label: 'Explicit', num: true, format: fmt.pct },
              { key: 'median_duration_ms', label: 'Median length', num: true, format: fmt.minutes },
              { key: 'p90_duration_ms', label: 'p90 length', num: true, format: fmt.minutes },
              { key: 'total_duration_ms', label: 'Total', num: true, format: fmt.hours },
            ],
            rows,
            { sortKey: 'items', name: 'mix-table' },
          ),
      },
    ],
  },
  {
    id: 'rising',
    title: 'Rising artists',
    intro: 'Popularity and follower momentum (extended-quota apps only).',
    panels: [
      {
        id: 'rising-top',
        insight: 'rising_artists',
        view: 'top',
        title: 'Popularity of the most popular watched artists',
        wide: true,
        render: ({ rows }) =>
          chart(
            'rising-top',
            linesByKey(rows, 'snapshot_date', 'artist_id', 'popularity', (r) => r.artist_name),
          ),
      },
      {
        id: 'rising-latest',
        insight: 'rising_artists',
        view: 'latest',
        title: 'Momentum on the latest day',
        wide: true,
        render: ({ rows }) =>
          table(
            [
              { key: 'artist_name', label: 'Artist', link: (r) => ['artist', r.artist_id] },
              { key: 'popularity', label: 'Popularity', num: true },
              { key: 'popularity_change_1d', label: '1d', num: true, tone: true, format: fmt.signed },
              { key: 'popularity_change_7d', label: '7d', num: true, tone: true, format: fmt.signed },
              { key: 'followers', label: 'Followers', num: true, format: fmt.int },
              {
                key: 'followers_change_7d',
                label: 'Followers 7d',
                num: true,
                tone: true,
                format: fmt.signed,
              },
              { key: 'followers_growth_7d', label: 'Growth 7d', num: true, format: fmt.pct },
            ],
            rows,
            { sortKey: 'popularity_change_7d', name: 'rising-latest' },
          ),
      },
    ],
  },
  {
    // Reached from any table row with a track ("history" next to its name), not from the menu.
    id: 'track',
    hidden: true,
    title: 'Track',
    titleOf: () => state.trackName ?? 'Track',
    intro:
      'Where this track stood in the watched playlists, day by day (place 1 = top), and the order in ' +
      'which it reached them.',
    build: () => (state.track ? [trackHistoryPanel(), trackJourneyPanel()] : []),
  },
];

/** Whether an insight's table is written in this lake (the track page falls back to playlist_items). */
const written = (name) => insightStatus(name)?.rows !== undefined;

/**
 * The chart history: the track's place in each watched playlist by day (insight_chart_history; before
 * the insights are refreshed, its places in playlist_items), place 1 at the top, its peak marked.
 */
function trackHistoryPanel() {
  const insight = written('chart_history');
  return {
    id: 'track-history',
    filters: TRACK_FILTERS,
    url: trackUrl(insight ? 'chart_history' : 'rows'),
    title: 'Chart history',
    sub:
      'Its place in each watched playlist by day (1 = top; the pin is its peak); gaps are days it was ' +
      'not on it.',
    wide: true,
    render: ({ rows }) => {
      state.trackName = rows.find((r) => r.track_name)?.track_name ?? null;
      const title = document.querySelector('#page h1');
      if (title && state.trackName) title.textContent = state.trackName;
      const placeKey = insight ? 'position' : 'place';
      const option = linesByKey(
        rows,
        'snapshot_date',
        'playlist_id',
        placeKey,
        (r) => r.playlist_name ?? r.playlist_id,
      );
      // The axis name at its start: with place 1 on top, that is above the plot, clear of the dates.
      option.yAxis = {
        type: 'value',
        inverse: true,
        min: 1,
        name: 'place',
        nameLocation: 'start',
        minInterval: 1,
      };
      for (const series of option.series) {
        // A day off the playlist is a gap in its line, not a slope to the next day on it.
        series.connectNulls = false;
        // On an inverted axis the smallest place is the highest point: the peak.
        series.markPoint = {
          symbolSize: 36,
          label: { formatter: '#{c}' },
          data: [{ type: 'min', name: 'peak' }],
        };
      }
      return [chart('track-history', option), csvLink('track-history', rows)];
    },
  };
}

/**
 * The journey: the watched playlists the track reached, in order (insight_track_journey), drawn as a
 * timeline of days since it reached the first one, each bar its time on that playlist; and the table.
 */
function trackJourneyPanel() {
  const insight = written('track_journey');
  return {
    id: 'track-journey',
    filters: insight ? { date: 'reached_date', playlist: true, artist: false } : TRACK_FILTERS,
    url: trackUrl(insight ? 'track_journey' : 'rows'),
    title: 'Journey through the watched playlists',
    sub: insight
      ? 'In the order the track reached them: each bar starts the day it reached the playlist and spans ' +
        'the days until it was last seen there.'
      : 'In the order the track reached them.',
    wide: true,
    render: ({ rows }) => {
      if (!insight) {
        const journey = journeyOf(rows);
        return [
          table(
            [
              { key: 'order', label: '#', num: true },
              { key: 'playlist_name', label: 'Playlist', link: (r) => ['playlist', r.playlist_id] },
              { key: 'first_seen', label: 'First seen' },
              { key: 'last_seen', label: 'Last seen' },
              { key: 'days', label: 'Days on', num: true },
              { key: 'peak', label: 'Peak', num: true },
              { key: 'peak_date', label: 'Peak on' },
              { key: 'place', label: 'Latest place', num: true },
            ],
            journey,
            { sortKey: 'order', sortDir: 'asc', name: 'track-journey' },
          ),
          csvLink('track-journey', journey),
        ];
      }
      return [
        chart('track-journey', journeyTimeline(rows)),
        table(
          [
            { key: 'step', label: '#', num: true },
            { key: 'playlist_name', label: 'Playlist', link: (r) => ['playlist', r.playlist_id] },
            { key: 'reached_date', label: 'Reached' },
            { key: 'days_after_release', label: 'Days after release', num: true },
            { key: 'days_after_first_step', label: 'Days after step 1', num: true },
            { key: 'last_seen_date', label: 'Last seen' },
            { key: 'days_on_playlist', label: 'Days on', num: true },
            { key: 'peak_position', label: 'Peak', num: true },
          ],
          rows,
          { sortKey: 'step', sortDir: 'asc', name: 'track-journey' },
        ),
        csvLink('track-journey', rows),
      ];
    },
  };
}

const DAY_MS = 86_400_000;
const daysBetween = (from, to) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);

/** Journey rows -> a horizontal timeline: one bar per playlist (step 1 on top), offset by its start. */
function journeyTimeline(rows) {
  const steps = [...rows].sort((a, b) => a.step - b.step);
  const names = steps.map((r) => `${r.step}. ${r.playlist_name ?? r.playlist_id}`);
  return {
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (items) => {
        const r = steps[items[0]?.dataIndex ?? 0];
        if (!r) return '';
        const release = r.days_after_release === null ? '' : `, ${r.days_after_release} days after release`;
        return `${names[items[0].dataIndex]}<br>reached ${r.reached_date}${release}<br>last seen ${r.last_seen_date}, peak #${r.peak_position}`;
      },
    },
    grid: { left: 16 },
    xAxis: {
      type: 'value',
      name: 'days since step 1',
      nameLocation: 'middle',
      nameGap: 28,
      min: 0,
      minInterval: 1,
    },
    yAxis: { type: 'category', data: names, inverse: true },
    series: [
      // The invisible part: from step 1 to the day it reached this playlist.
      {
        type: 'bar',
        stack: 'journey',
        name: 'before',
        itemStyle: { color: 'transparent' },
        emphasis: { disabled: true },
        data: steps.map((r) => r.days_after_first_step),
      },
      {
        type: 'bar',
        stack: 'journey',
        name: 'on the playlist',
        barMaxWidth: 28,
        label: {
          show: true,
          position: 'insideLeft',
          formatter: (p) => `#${steps[p.dataIndex].peak_position} peak`,
        },
        data: steps.map((r) => Math.max(1, daysBetween(r.reached_date, r.last_seen_date) + 1)),
      },
    ],
  };
}

/** GET /api/tracks/<id> for a view (rows, chart_history, track_journey) with the page's filters. */
function trackUrl(view) {
  const params = trackQuery();
  if (view !== 'rows') params.set('view', view);
  return `/api/tracks/${encodeURIComponent(state.track)}?${params}`;
}

const TRACK_FILTERS = { date: 'snapshot_date', playlist: true, artist: false };

/** The track page's query: the date range and playlist filters (a track page has no artist filter). */
function trackQuery() {
  const f = currentFilters();
  const params = new URLSearchParams();
  for (const key of ['from', 'to', 'playlist']) if (f[key]) params.set(key, f[key]);
  return params;
}

/** Rows of (day, playlist, place) -> one row per playlist: first and last day, days on, peak. */
function journeyOf(rows) {
  const byPlaylist = new Map();
  for (const r of [...rows].sort((a, b) => (a.snapshot_date < b.snapshot_date ? -1 : 1))) {
    const j = byPlaylist.get(r.playlist_id);
    if (!j) {
      byPlaylist.set(r.playlist_id, {
        playlist_id: r.playlist_id,
        playlist_name: r.playlist_name ?? r.playlist_id,
        first_seen: r.snapshot_date,
        last_seen: r.snapshot_date,
        days: 1,
        peak: r.place,
        peak_date: r.snapshot_date,
        place: r.place,
      });
      continue;
    }
    j.last_seen = r.snapshot_date;
    j.days += 1;
    j.place = r.place;
    if (r.place < j.peak) {
      j.peak = r.place;
      j.peak_date = r.snapshot_date;
    }
  }
  return [...byPlaylist.values()]
    .sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : a.peak - b.peak))
    .map((j, i) => ({ order: i + 1, ...j }));
}

/** A CSV download of rows computed on the page (the track journey), built in the browser. */
function csvLink(name, rows) {
  const keys = Object.keys(rows[0] ?? {});
  const field = (v) => {
    if (v === null || v === undefined) return '';
    let text = String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const body = [keys, ...rows.map((r) => keys.map((k) => r[k]))]
    .map((l) => l.map(field).join(','))
    .join('\r\n');
  return el('a', {
    class: 'tool',
    'data-csv': name,
    href: `data:text/csv;charset=utf-8,${encodeURIComponent(`${body}\r\n`)}`,
    download: `tunelake-${name}-${state.track}.csv`,
    text: 'CSV',
  });
}

/** The pages to show: the known ones, then one table page per insight no page reads. */
function allPages() {
  const covered = new Set(PAGES.flatMap((p) => (p.panels ?? []).map((x) => x.insight)));
  const extra = (state.status?.insights ?? [])
    .filter((i) => !covered.has(i.name))
    .map((info) => ({
      id: info.name,
      title: info.name.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase()),
      intro: info.description,
      panels: [
        {
          id: `${info.name}-rows`,
          insight: info.name,
          view: 'rows',
          title: info.table,
          wide: true,
          render: ({ rows }) => table(genericColumns(info), rows, { name: `${info.name}-rows` }),
        },
      ],
    }));
  return [...PAGES, ...extra];
}

// --- drawing ---------------------------------------------------------------------------------------

function drawFreshness() {
  const s = state.status;
  const box = document.getElementById('freshness');
  const run = s.lastRun;
  const item = (label, value, cls) => el('span', { class: cls }, `${label} `, el('b', { text: value }));
  const items = [
    run
      ? item(
          'Last run',
          `${run.finishedAt.slice(0, 16).replace('T', ' ')} UTC (${ageText(run.ageHours)} ago)`,
          run.stale ? 'stale' : undefined,
        )
      : item('Last run', 'none yet', 'stale'),
    item('Tier', `${s.tier} (${s.tierSource === 'last run' ? 'of the last run' : 'configured; no run yet'})`),
    // The refresh token expires six months after login: warned from 30 days before, as doctor does (#14).
    s.login ? item('Spotify login', s.login.message, s.login.status === 'ok' ? undefined : 'stale') : null,
    backlogItem(run?.importedTracks),
    item('Engine', s.engine),
    item('Catalog', s.catalog),
    item('Lake', s.lake),
  ];
  box.replaceChildren(...items.filter((x) => x !== null));
  box.setAttribute('data-tier', s.tier);
  const reload = el('button', { type: 'button', id: 'reload', text: 'Reload' });
  reload.addEventListener('click', () => start());
  box.append(reload, capabilitiesSection());
}

/** "Imported history 50 of 300 tracks fetched, 5 runs to go": the import's tracks joining the catalogue. */
function backlogItem(backlog) {
  if (!backlog) return null;
  const left = backlog.runsToGo;
  const text =
    `${fmt.int(backlog.fetched)} of ${fmt.int(backlog.tracks)} tracks fetched` +
    (left > 0 ? `, ${left} run${left === 1 ? '' : 's'} to go (${backlog.perRun} a run)` : '');
  return el(
    'span',
    { id: 'backlog', class: left > 0 ? 'stale' : undefined, 'data-runs-to-go': left },
    'Imported history ',
    el('b', { text }),
  );
}

// --- what this Spotify app can do (GET /api/capabilities) -----------------------------------------

/**
 * Collapsed at first: opening it asks the server, which probes the app once (doctor's access-tier
 * probes) and keeps the answer; "Probe again" asks for a new probe (at most once a minute).
 */
function capabilitiesSection() {
  const details = el('details', { id: 'capabilities', class: 'capabilities', open: state.capabilitiesOpen });
  const body = el('div', { class: 'cap-body' });
  details.append(el('summary', { text: 'What this Spotify app can do' }), body);
  const load = async (refresh) => {
    details.removeAttribute('data-ready');
    body.replaceChildren(el('p', { class: 'muted', text: 'Probing the Spotify app\u2026' }));
    try {
      state.capabilities = await api(`/api/capabilities${refresh ? '?refresh=1' : ''}`);
    } catch (error) {
      body.replaceChildren(
        el('p', { class: 'error', text: `Could not read the capabilities: ${error.message}` }),
      );
      details.setAttribute('data-ready', 'error');
      return;
    }
    drawCapabilities(body, load);
    details.setAttribute('data-ready', 'true');
  };
  details.addEventListener('toggle', () => {
    state.capabilitiesOpen = details.open;
    if (details.open && !details.hasAttribute('data-ready')) load(false);
  });
  if (state.capabilities) {
    drawCapabilities(body, load);
    details.setAttribute('data-ready', 'true');
  }
  return details;
}

const CAP_TONE = {
  answers: 'ok',
  present: 'ok',
  forbidden: 'bad',
  absent: 'bad',
  empty: 'warn',
  unknown: 'warn',
  'not probed': 'warn',
};

function drawCapabilities(body, load) {
  const m = state.capabilities;
  const tierText = m.tier.detected
    ? `${m.tier.detected}${m.tier.detected === m.tier.configured ? ' (as configured)' : ` (configured: ${m.tier.configured})`}`
    : m.tier.uncertain
      ? `uncertain (configured: ${m.tier.configured}; safe setting: ${m.tier.safe}): ${m.tier.uncertain}`
      : `unknown (configured: ${m.tier.configured})`;
  const badge = (status) => el('span', { class: `tag cap-${CAP_TONE[status] ?? 'warn'}`, text: status });
  const row = (kind, id, what, status, detail) =>
    el(
      'tr',
      { 'data-capability': id, 'data-kind': kind, 'data-status': status },
      el('td', {}, el('code', { text: what })),
      el('td', {}, badge(status)),
      el('td', { class: 'muted', text: detail }),
    );
  const rows = [
    ...m.endpoints.map((e) => row('endpoint', e.id, e.request, e.status, `${e.detail}: ${e.meaning}`)),
    ...m.fields.map((f) => row('field', f.field, f.field, f.status, f.detail)),
  ];
  const emptyItem = (kind, item) =>
    el(
      'li',
      { 'data-empty': `${kind}:${item.name}` },
      el('b', { text: item.name }),
      ` \u2014 ${item.reason}`,
    );
  const emptyTables = m.tables.filter((t) => !t.populated);
  const emptyInsights = m.insights.filter((i) => !i.populated);
  const again = el('button', { type: 'button', id: 'cap-refresh', text: 'Probe again' });
  again.addEventListener('click', () => load(true));
  const parts = [
    el(
      'p',
      { class: 'cap-target' },
      `Describes ${m.target.description}. Tier `,
      el('b', { text: tierText }),
      `. Probed ${m.probedAt.slice(0, 16).replace('T', ' ')} UTC with ${m.requests} request${m.requests === 1 ? '' : 's'}. `,
      again,
    ),
    m.refreshRefused ? el('p', { class: 'muted', text: `Not probed again: ${m.refreshRefused}.` }) : null,
    m.reachable
      ? null
      : el('p', {
          class: 'error',
          text: 'No probe got an answer from Spotify: the statuses are unknown and what is empty is assumed from the configured tier.',
        }),
    el(
      'table',
      { class: 'cap-table', 'data-table': 'capabilities' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { scope: 'col', text: 'Endpoint or field' }),
          el('th', { scope: 'col', text: 'Status' }),
          el('th', { scope: 'col', text: 'Seen' }),
        ),
      ),
      el('tbody', {}, ...rows),
    ),
    el(
      'div',
      { class: 'cap-empty' },
      el('h3', { text: emptyTables.length ? 'Tables left empty' : 'Every table can be populated' }),
      emptyTables.length ? el('ul', {}, ...emptyTables.map((t) => emptyItem('table', t))) : null,
      el('h3', { text: emptyInsights.length ? 'Insights left empty' : 'Every insight can be populated' }),
      emptyInsights.length
        ? el('ul', {}, ...emptyInsights.map((i) => emptyItem('insight', { ...i, name: `insight_${i.name}` })))
        : null,
    ),
  ];
  body.replaceChildren(...parts.filter((part) => part !== null));
}

function ageText(hours) {
  return hours < 48 ? `${hours.toFixed(1)} h` : `${Math.floor(hours / 24)} days`;
}

function drawNav() {
  const nav = document.getElementById('nav');
  const filters = currentFilters();
  nav.replaceChildren(
    ...allPages()
      .filter((p) => !p.hidden)
      .map((p) =>
        el('a', {
          href: hashFor(p.id, filters),
          'data-page': p.id,
          class: p.id === state.page ? 'active' : undefined,
          text: p.title,
        }),
      ),
  );
  nav.hidden = false;
}

function fillFilters() {
  const { playlists, artists, dates } = state.filters;
  const fill = (id, items, all) => {
    const select = document.getElementById(id);
    const value = select.value;
    select.replaceChildren(
      el('option', { value: '', text: all }),
      ...items.map((i) => el('option', { value: i.id, text: i.name ?? i.id })),
    );
    if (items.some((i) => i.id === value)) select.value = value;
  };
  fill('f-playlist', playlists, 'All watched playlists');
  fill('f-artist', artists, 'All artists');
  for (const id of ['f-from', 'f-to']) {
    const input = document.getElementById(id);
    input.min = dates?.min ?? '';
    input.max = dates?.max ?? '';
  }
  document.getElementById('f-note').textContent = dates ? `Data from ${dates.min} to ${dates.max}` : '';
  document.getElementById('filters').hidden = false;
}

/** The small buttons in a card's corner: CSV of its insight view when it shows a table, PNG per chart. */
function cardTools(card, panel, body) {
  const tools = card.querySelector('.card-tools');
  tools.replaceChildren();
  // Rows computed on the page (the track page) carry their own CSV link: it moves up here.
  const local = body.querySelector('a.tool[data-csv]');
  if (local) tools.append(local);
  else if (panel.insight && body.querySelector('table[data-table]')) {
    tools.append(
      el('a', {
        class: 'tool',
        href: csvUrl(panel.insight, panel.view),
        download: '',
        'data-csv': panel.id,
        title: `Download ${panel.insight} (${panel.view}) with these filters as CSV`,
        text: 'CSV',
      }),
    );
  }
  for (const box of body.querySelectorAll('[data-chart]')) {
    const id = box.getAttribute('data-chart');
    const button = el('button', {
      type: 'button',
      class: 'tool',
      'data-png': id,
      title: 'Download this chart as PNG',
      text: 'PNG',
    });
    button.addEventListener('click', () => downloadPng(id));
    tools.append(button);
  }
}

/** What the page says about filters its panels cannot apply: on each panel, and once on top. */
function ignoredNote(panels) {
  const perPanel = panels.map((p) => ({ panel: p, ignored: ignoredFilters(p) }));
  const keys = ['dates', 'playlist', 'artist'];
  const everywhere = keys.filter((k) => perPanel.every((x) => x.ignored.some((i) => i.key === k)));
  if (everywhere.length === 0) return null;
  return el('p', {
    class: 'ignored page-ignored',
    'data-ignored': everywhere.join(','),
    text:
      `This page ignores the ${everywhere.join(' and ')} filter${everywhere.length > 1 ? 's' : ''}: ` +
      'none of its insights can be narrowed that way. The other pages keep them.',
  });
}

let drawing = 0;

async function drawPage() {
  const ticket = ++drawing;
  const pages = allPages();
  const page = pages.find((p) => p.id === state.page) ?? pages[0];
  state.page = page.id;
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('active', a.dataset.page === page.id);
  for (const instance of charts.values()) instance.dispose();
  charts.clear();
  const root = document.getElementById('page');
  const grid = el('div', { class: 'grid' });
  const panels = page.panels ?? page.build?.() ?? [];
  root.replaceChildren(
    el('h1', { text: page.titleOf ? page.titleOf() : page.title }),
    el('p', { class: 'page-intro', text: page.intro }),
    ignoredNote(panels) ?? '',
    grid,
  );
  root.setAttribute('data-page', page.id);
  root.removeAttribute('data-ready');
  const answers = new Map();
  await Promise.all(
    panels.map(async (panel) => {
      const card = el('section', { class: `card${panel.wide ? ' wide' : ''}`, 'data-panel': panel.id });
      card.append(
        el(
          'div',
          { class: 'card-head' },
          el('h2', { text: panel.title }),
          el('div', { class: 'card-tools' }),
        ),
      );
      if (panel.sub) card.append(el('p', { class: 'sub', text: panel.sub }));
      const ignored = ignoredFilters(panel);
      if (ignored.length > 0) {
        card.append(
          el('p', {
            class: 'ignored',
            'data-ignored': ignored.map((i) => i.key).join(','),
            text: `Not filtered by ${ignored.map((i) => `${i.key} (${i.why})`).join(', ')}.`,
          }),
        );
      }
      const body = el('div');
      card.append(body);
      grid.append(card);
      const info = panel.insight ? insightStatus(panel.insight) : { available: true, rows: 0 };
      if (!info?.available) {
        body.replaceChildren(
          el('p', {
            class: 'notice',
            'data-unavailable': panel.insight,
            text: `Unavailable: ${info?.reason ?? 'not in this lake'}`,
          }),
        );
        return;
      }
      if (info.rows === undefined) {
        body.replaceChildren(
          el('p', {
            class: 'notice',
            text: `Not written yet: run npx tunelake run (or npx tunelake insights).`,
          }),
        );
        return;
      }
      const url = panel.url ?? insightUrl(panel.insight, panel.view);
      try {
        if (!answers.has(url)) answers.set(url, api(url));
        const answer = await answers.get(url);
        if (ticket !== drawing) return;
        const control = panel.controls
          ? Object.fromEntries(Object.entries(panel.controls).map(([k, v]) => [k, v[0]]))
          : {};
        const render = () => {
          // Say "match these filters" only when a filter was sent: an empty insight is not a filter's doing.
          const filtered = [...new URL(url, window.location.href).searchParams.keys()].some((k) =>
            ['from', 'to', 'playlist', 'artist'].includes(k),
          );
          const out =
            answer.rows.length === 0
              ? el('p', {
                  class: 'notice',
                  text: filtered
                    ? 'No rows match these filters.'
                    : 'This insight has no rows in this lake yet (no filter is set).',
                })
              : panel.render(answer, control);
          body.replaceChildren(...(Array.isArray(out) ? out : [out]));
          if (answer.truncated)
            body.append(el('p', { class: 'sub', text: `Showing the first ${answer.limit} rows.` }));
          cardTools(card, panel, body);
        };
        if (panel.controls) {
          const bar = el('div', { class: 'controls' });
          for (const [name, options] of Object.entries(panel.controls)) {
            const select = el(
              'select',
              { 'data-control': name },
              ...options.map((o) => el('option', { value: o, text: `by ${o}` })),
            );
            select.addEventListener('change', () => {
              control[name] = select.value;
              render();
            });
            bar.append(select);
          }
          card.insertBefore(bar, body);
        }
        render();
      } catch (error) {
        body.replaceChildren(el('p', { class: 'error', text: error.message }));
      }
    }),
  );
  if (ticket === drawing) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    root.setAttribute('data-ready', 'true');
  }
}

/** The URL changed (a link, a filter, back or forward): the form follows it, then the page. */
function applyHash() {
  const { page, filters, track } = parseHash();
  state.page = page || 'movers';
  if (track !== state.track) state.trackName = null;
  state.track = track;
  setFilterInputs(filters);
  drawNav();
  return drawPage();
}

async function start() {
  try {
    state.status = await api('/api/status');
  } catch (error) {
    document.getElementById('freshness').textContent = `The dashboard API failed: ${error.message}`;
    return;
  }
  drawFreshness();
  if (state.status.empty) {
    document.getElementById('empty').hidden = false;
    document.getElementById('empty-lake').textContent = `Lake: ${state.status.lake}`;
    document.getElementById('nav').hidden = true;
    document.getElementById('filters').hidden = true;
    document.getElementById('page').replaceChildren();
    document.body.setAttribute('data-ready', 'empty');
    return;
  }
  document.getElementById('empty').hidden = true;
  state.filters = await api('/api/filters');
  fillFilters();
  await applyHash();
  document.body.setAttribute('data-ready', 'true');
}

window.addEventListener('hashchange', () => {
  if (state.status && !state.status.empty) applyHash();
});
window.addEventListener('resize', () => {
  for (const instance of charts.values()) instance.resize();
});
/** The page's own URL parameters beyond the filters (the track page's `id`). */
const pageExtra = () => (state.page === 'track' && state.track ? { id: state.track } : {});
for (const key of FILTER_KEYS) {
  document
    .getElementById(`f-${key}`)
    .addEventListener('change', () => navigate(state.page, currentFilters(), pageExtra()));
}
document.getElementById('f-reset').addEventListener('click', () => {
  navigate(state.page, {}, pageExtra());
});

start();
