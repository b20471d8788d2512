#!/usr/bin/env bash
# Every C and C++ file of the repository passes the project's .clang-format (clang-format --dry-run --Werror).
# Fix a failure with: clang-format -i FILE.
set -u
cd "${CS_SOURCE_DIR:?}" || exit 1
command -v clang-format >/dev/null || { echo "clang-format is not installed (Debian package clang-format)"; exit 1; }
bad=0 n=0
while IFS= read -r f; do
    n=$((n + 1))
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || { echo "not formatted: $f (clang-format -i $f)"; bad=$((bad + 1)); }
done < <(find corpus-tools plugins tests -name '*.c' -o -name '*.h' -o -name '*.cpp' | sort)
echo "clang-format: $n files checked, $bad not formatted"
[ "$bad" = 0 ]
