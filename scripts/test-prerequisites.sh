#!/usr/bin/env bash
# `npm test` runs this first (the `pretest` script): the suite needs two things outside npm, and a
# fresh machine has neither. Each is checked first and installed only when missing, so on a
# prepared machine this costs a second.
#   - pyarrow and pandas (Python): the independent Parquet reader of the transform tests, and the
#     benchmarks' pandas baseline whose equivalence bench/test checks. A local wheel index serves them.
#   - Debian's chromium: the dashboard's browser tests drive it with playwright-core.
set -euo pipefail

if ! python3 -c 'import pyarrow, pandas, sys; sys.exit(0 if (pyarrow.__version__, pandas.__version__) == ("25.0.1", "2.3.3") else 1)' 2>/dev/null; then
  echo "test prerequisites: installing pyarrow 25.0.1 and pandas 2.3.3 (pip)" >&2
  python3 -m pip install --quiet pyarrow==25.0.1 pandas==2.3.3 || {
    echo "error: could not install pyarrow==25.0.1 pandas==2.3.3 with pip; install them, then run npm test again" >&2
    exit 1
  }
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test prerequisites: installing Debian's chromium (apt-get)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "error: the dashboard tests need Debian's chromium at /usr/bin/chromium: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
