import { describe, expect, it } from 'vitest';
import { isTunelakeError } from '../errors.js';
import { applyFields, filterFields, parseFields } from './fields.js';

const playlist = {
  name: 'Mix',
  description: null,
  owner: { id: 'smedjan', display_name: 'S', href: 'h' },
  items: {
    href: 'x',
    total: 2,
    limit: 50,
    items: [
      {
        added_at: '2026-01-01T00:00:00Z',
        added_by: { id: 'a', type: 'user' },
        item: { name: 'One', id: '1', album: { name: 'A', href: 'ha', images: [] } },
      },
      { added_at: '2026-01-02T00:00:00Z', added_by: null, item: null },
    ],
  },
};

describe('filterFields(value, fields)', () => {
  it('keeps only the listed top-level keys, in the object order', () => {
    expect(filterFields(playlist, 'description,name')).toEqual({ name: 'Mix', description: null });
  });

  it('selects inside single objects with a dot', () => {
    expect(filterFields(playlist, 'owner.id,items.total')).toEqual({
      owner: { id: 'smedjan' },
      items: { total: 2 },
    });
  });

  it('selects inside every element of an array with parentheses, and nested parentheses', () => {
    expect(filterFields(playlist, 'items(total,items(added_at,item(name,album(name))))')).toEqual({
      items: {
        total: 2,
        items: [
          { added_at: '2026-01-01T00:00:00Z', item: { name: 'One', album: { name: 'A' } } },
          { added_at: '2026-01-02T00:00:00Z', item: null },
        ],
      },
    });
  });

  it('combines a dot path with parentheses (items.items(added_by.id)), keeping nulls as null', () => {
    expect(filterFields(playlist, 'items.items(added_by.id)')).toEqual({
      items: { items: [{ added_by: { id: 'a' } }, { added_by: null }] },
    });
  });

  it('excludes with "!" and keeps everything else when a list only excludes', () => {
    expect(filterFields(playlist.items.items[0], 'item(!album,!id)')).toEqual({ item: { name: 'One' } });
    expect(filterFields(playlist.owner, '!href,!display_name')).toEqual({ id: 'smedjan' });
  });

  it('merges repeated paths instead of letting the last one win', () => {
    expect(filterFields(playlist, 'owner(id),owner(href)')).toEqual({ owner: { id: 'smedjan', href: 'h' } });
    expect(filterFields(playlist, 'owner.id,owner')).toEqual({ owner: playlist.owner });
  });

  it('returns the value unchanged when fields is absent or blank', () => {
    expect(filterFields(playlist, null)).toBe(playlist);
    expect(filterFields(playlist, '  ')).toBe(playlist);
  });

  it('ignores unknown keys rather than inventing them', () => {
    expect(filterFields(playlist, 'name,nope(x)')).toEqual({ name: 'Mix' });
  });
});

describe('parseFields(text)', () => {
  it.each(['items(name', 'items)name', 'a,,b', 'a.', '!a.b', 'a(b))', ''])(
    'rejects %j with a 400 invalid fields error',
    (text) => {
      let caught: unknown;
      try {
        parseFields(text);
      } catch (error) {
        caught = error;
      }
      expect(isTunelakeError(caught, 'SPOTIFY_BAD_REQUEST')).toBe(true);
      expect((caught as Error).message).toMatch(/^Invalid fields/);
    },
  );

  it('parses a nested selection that applyFields can reuse', () => {
    const selection = parseFields('a(b.c)');
    expect(applyFields([{ a: { b: { c: 1, d: 2 }, e: 3 } }], selection)).toEqual([{ a: { b: { c: 1 } } }]);
  });
});
