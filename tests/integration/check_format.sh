#!/usr/bin/env bash
# The house style (.clang-format) holds for every C++ file of src/ and tests/: clang-format
# --dry-run -Werror on each; prints the files that differ. Skips (77) without clang-format.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
command -v clang-format > /dev/null || { echo "SKIP: clang-format is not installed (apt-get install clang-format)"; exit 77; }
cd "$top"
mapfile -t files < <(git ls-files 'src/*.h' 'src/*.cpp' 'tests/*.h' 'tests/*.cpp' 2>/dev/null ||
                     find src tests -name '*.h' -o -name '*.cpp')
bad=0
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" > /dev/null 2>&1 || { echo "not formatted: $f (clang-format -i $f)"; bad=$((bad + 1)); }
done
echo "${#files[@]} files checked with $(clang-format --version | head -1), $bad not formatted"
[[ $bad -eq 0 ]]
