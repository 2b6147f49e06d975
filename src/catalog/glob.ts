// Glue crawler exclusion globs (S3Target.Exclusions, https://docs.aws.amazon.com/glue/latest/dg/define-crawler-choose-data-sources.html): matched
// against the key relative to the include path. `*` stays within one folder level, `**` crosses levels,
// `?` is one character, `[a-z]` and `[!a-z]` are classes, `{a,b}` alternatives (not nested), `\` escapes.
// A leading `.` is an ordinary character.
//
// Why a matcher of our own rather than a package such as picomatch: Glue's patterns are Java
// PathMatcher globs, not shell globs. Tried here, picomatch 4 treats `**.json` as `*.json` (no
// crossing of folders outside a `/**/` segment) and `[!5]` as a literal, so it would crawl objects
// that Glue's own crawler excludes; glob.test.ts holds those cases.
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let inBraces = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) {
      out += escapeRegExp(glob[++i]!);
    } else if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        // `**/` also matches no folder at all: `**/x.json` matches `x.json`.
        if (glob[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replaceAll('\\', '\\\\')}]`;
      i = end;
    } else if (c === '{' && !inBraces) {
      inBraces = true;
      out += '(?:';
    } else if (c === '}' && inBraces) {
      inBraces = false;
      out += ')';
    } else if (c === ',' && inBraces) {
      out += '|';
    } else {
      out += escapeRegExp(c);
    }
  }
  if (inBraces) out += ')';
  return new RegExp(`^${out}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
