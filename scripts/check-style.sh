#!/bin/sh
# check-style.sh - the habits the project keeps, checked instead of hoped
# for (curl's checksrc in spirit): no function from STYLE.md's banned list
# on input (sprintf, vsprintf, strcpy, strcat, gets, atoi, atol, strtok),
# and every C file formatted by the repository's .clang-format. Exits 1
# naming each offence; scripts/test.sh runs it before building.
#
# Usage: scripts/check-style.sh        (from anywhere)
set -u
cd "$(dirname "$0")/.."

status=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find lib src tests fuzz bench -name '*.[ch]')

banned=$(printf '%s\n' $files | xargs grep -nE '\b(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|strtok)[[:space:]]*\(' 2>/dev/null)
if [ -n "$banned" ]; then
    echo "check-style: banned functions (use snprintf, memcpy with a length, num_parse_*):" >&2
    echo "$banned" >&2
    status=1
fi

if command -v clang-format >/dev/null 2>&1; then
    unformatted=$(for f in $files; do clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
    if [ -n "$unformatted" ]; then
        echo "check-style: not formatted by .clang-format (run clang-format -i on them):" >&2
        echo "$unformatted" >&2
        status=1
    fi
else
    echo "check-style: clang-format is missing (scripts/install-deps.sh installs it)" >&2
    status=1
fi

[ "$status" = 0 ] && echo "check-style: $(printf '%s\n' $files | wc -l) files clean"
exit "$status"
