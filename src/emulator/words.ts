// Word lists and name makers for the generated world. Names deliberately include diacritics,
// non-Latin scripts, commas and ampersands now and then, because real catalogue names do and
// CSV/SQL/search code downstream has to cope with them.
import type { Random } from './random.js';

export const GENRE_FAMILIES: readonly (readonly string[])[] = [
  ['indie pop', 'indie rock', 'bedroom pop', 'dream pop', 'shoegaze'],
  ['swedish metal', 'doom metal', 'gothic metal', 'progressive metal', 'melodic death metal'],
  ['deep house', 'techno', 'minimal techno', 'tech house', 'electro'],
  ['hip hop', 'conscious hip hop', 'trap', 'uk drill', 'boom bap'],
  ['jazz', 'jazz fusion', 'contemporary jazz', 'bebop', 'nordic jazz'],
  ['k-pop', 'j-pop', 'city pop', 'c-pop', 'k-indie'],
  ['afrobeats', 'amapiano', 'afropop', 'highlife', 'alte'],
  ['reggaeton', 'latin pop', 'bossa nova', 'cumbia', 'urbano latino'],
  ['alt-country', 'americana', 'folk', 'bluegrass', 'singer-songwriter'],
  ['trip hop', 'downtempo', 'lo-fi beats', 'ambient', 'chillwave'],
  ['classical', 'neoclassical', 'modern classical', 'baroque', 'minimalism'],
  ['soul', 'neo soul', 'r&b', 'funk', 'motown'],
];

const ADJECTIVES = [
  'Velvet',
  'Silent',
  'Electric',
  'Golden',
  'Hollow',
  'Neon',
  'Paper',
  'Crimson',
  'Wild',
  'Quiet',
  'Northern',
  'Broken',
  'Lucky',
  'Midnight',
  'Frozen',
  'Bright',
  'Lonely',
  'Secret',
  'Burning',
  'Soft',
  'Strange',
  'Distant',
  'Blue',
  'Restless',
  'Little',
  'Sweet',
  'Sleepy',
  'Endless',
  'Glass',
  'Static',
];
const NOUNS = [
  'Harbors',
  'Wolves',
  'Satellites',
  'Gardens',
  'Rivers',
  'Machines',
  'Lanterns',
  'Tigers',
  'Echoes',
  'Owls',
  'Mountains',
  'Pilots',
  'Ghosts',
  'Oceans',
  'Parades',
  'Mirrors',
  'Comets',
  'Foxes',
  'Signals',
  'Strangers',
  'Horses',
  'Islands',
  'Dreamers',
  'Bridges',
  'Kings',
  'Sparrows',
  'Engines',
  'Shadows',
];
const FIRST_NAMES = [
  'Lena',
  'Oskar',
  'Maja',
  'Jonas',
  'Amara',
  'Kenji',
  'Sofía',
  'Mateo',
  'Zoë',
  'Björn',
  'Chloé',
  'Nia',
  'Aleksander',
  'Inés',
  'Tomás',
  'Yuki',
  'Ama',
  'Rafael',
  'Élodie',
  'Søren',
  'Ayla',
  'Dario',
  'Freya',
  'Kwame',
  'Ingrid',
  'Luca',
  'Mei',
  'Noor',
  'Pablo',
  'Saoirse',
];
const LAST_NAMES = [
  'Lindqvist',
  'Okafor',
  'Nakamura',
  'García',
  'Novak',
  'Haugen',
  'Moreau',
  'Kowalski',
  'Adeyemi',
  'Björklund',
  'Fernández',
  'Takahashi',
  'Müller',
  'Rossi',
  'Ó Briain',
  'Dubois',
  'Jansen',
  'Petrov',
  'Mensah',
  'Silva',
  'Kim',
  'Andersson',
  'Costa',
  'Yılmaz',
  'Nguyen',
  'Larsen',
];
const NON_LATIN_NAMES = [
  '夜の街',
  '서울 밤',
  'Ночные Огни',
  'ヨルノソラ',
  'Σελήνη',
  'صدى',
  'नीला आसमान',
  'Mø Dahl',
];

const TITLE_WORDS = [
  'Love',
  'Night',
  'Fire',
  'Summer',
  'Rain',
  'Heart',
  'City',
  'Dance',
  'Home',
  'Gold',
  'Storm',
  'Light',
  'Runaway',
  'Paradise',
  'Ocean',
  'Highway',
  'Stars',
  'Tonight',
  'Forever',
  'Shadow',
  'Sunrise',
  'Echo',
  'Window',
  'Fever',
  'Gravity',
  'Satellite',
  'Blossom',
  'Thunder',
  'Velvet',
  'Honey',
  'Wire',
  'Winter',
  'Café',
  'Mañana',
  'Ljós',
  'Über',
  'Fjärran',
  'Naïve',
  'Déjà Vu',
  'Señorita',
  'Ålborg',
  'Straße',
];
const TITLE_PATTERNS = [
  (w: () => string) => `${w()}`,
  (w: () => string) => `${w()} ${w()}`,
  (w: () => string) => `The ${w()}`,
  (w: () => string) => `${w()} of ${w()}`,
  (w: () => string) => `${w()} in the ${w()}`,
  (w: () => string) => `No ${w()}`,
  (w: () => string) => `${w()}, ${w()}`,
  (w: () => string) => `${w()} & ${w()}`,
  (w: () => string) => `Little ${w()}`,
  (w: () => string) => `${w()} (Remastered)`,
  (w: () => string) => `${w()} - Live`,
];

export const LABELS = [
  'Napalm Records',
  'Sub Pop',
  'XL Recordings',
  'Domino',
  'Warp Records',
  '4AD',
  'Atlantic Records',
  'Columbia',
  'Island Records',
  'Nuclear Blast',
  'Ninja Tune',
  'Blue Note Records',
  'Def Jam',
  'Interscope',
  'Mute',
  'Rough Trade',
  'Because Music',
  'Hybe',
  'Mavin Records',
  'Independent',
];

export const MARKETS = [
  'AR',
  'AT',
  'AU',
  'BE',
  'BR',
  'CA',
  'CH',
  'CL',
  'CO',
  'DE',
  'DK',
  'ES',
  'FI',
  'FR',
  'GB',
  'IE',
  'IN',
  'IT',
  'JP',
  'KR',
  'MX',
  'NG',
  'NL',
  'NO',
  'NZ',
  'PL',
  'PT',
  'SE',
  'US',
  'ZA',
];

export const ISRC_COUNTRIES = ['SE', 'US', 'GB', 'DE', 'FR', 'NL', 'JP', 'KR', 'BR', 'NO', 'NG', 'ES'];

const USER_HANDLES = [
  'smedjan',
  'wizzler',
  'kaja.m',
  'oskar_91',
  'nightowl',
  'linnea',
  'beatfreak',
  'mats.e',
  'yuki-k',
  'amara.o',
  'djtomas',
  'freyaplays',
  'lucab',
  'noor.h',
  'pablito',
  'saoirse.k',
  'bjornb',
  'ingridl',
];

export const EDITORIAL_NAMES = [
  "Today's Top Hits",
  'RapCaviar',
  'Peaceful Piano',
  'Rock Classics',
  'New Music Friday',
  'Chill Hits',
  'Jazz Vibes',
  'Viva Latino',
  'mint',
  'Lo-Fi Beats',
  'All Out 80s',
  'Songs to Sing in the Car',
];

const PLAYLIST_WORDS = [
  'Morning Coffee',
  'Late Night Drive',
  'Rainy Days',
  'Workout',
  'Focus',
  'Roadtrip',
  'Sunday Chill',
  'Party Starters',
  'Throwbacks',
  'Deep Cuts',
  'Summer 2026',
  'Study Session',
  'Heartbreak',
  'Cooking',
  'Running',
  'Dinner Jazz',
  'Favorites',
  'Bangers',
  'Cozy Autumn',
  'Discoveries',
];

export function artistName(rng: Random): string {
  const r = rng.next();
  if (r < 0.3) return `The ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`;
  if (r < 0.55) return `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
  if (r < 0.7) return `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`;
  if (r < 0.78) return `${rng.pick(FIRST_NAMES)}, the ${rng.pick(NOUNS)}`;
  if (r < 0.84) return `${rng.pick(NOUNS)}, ${rng.pick(NOUNS)} & ${rng.pick(NOUNS)}`;
  if (r < 0.92) return rng.pick(NON_LATIN_NAMES);
  return `${rng.pick(FIRST_NAMES).toUpperCase()}`;
}

export function titleName(rng: Random): string {
  const pattern = rng.pick(TITLE_PATTERNS);
  return pattern(() => rng.pick(TITLE_WORDS));
}

export function userHandle(rng: Random, index: number): string {
  if (index % 5 === 4) return rng.digits(11).replace(/^0/, '1');
  return `${rng.pick(USER_HANDLES)}${index >= USER_HANDLES.length ? index : ''}`;
}

export function displayName(rng: Random): string {
  return `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES).slice(0, 1)}.`;
}

export function playlistName(rng: Random): string {
  const r = rng.next();
  if (r < 0.6) return rng.pick(PLAYLIST_WORDS);
  if (r < 0.85) return `${rng.pick(PLAYLIST_WORDS)} ${rng.pick(['Vol. 2', '2025', '🔥', 'mix', '(old)'])}`;
  return `${rng.pick(TITLE_WORDS)} ${rng.pick(['vibes', 'songs', 'energy', 'feels'])}`;
}
