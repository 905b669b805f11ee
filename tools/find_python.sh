#!/bin/sh
# Print the path of a working CPython X.Y interpreter, or fail: python X.Y on PATH, else a pyenv
# install, else one uv manages (uv python find; it never downloads here). Used by
# `make test-floor` (the lowest supported Python) and `make test-pythons`.
version="$1"
for candidate in "python$version" "$(pyenv root 2>/dev/null)/versions/$version"*/bin/"python$version" \
        "$HOME/.pyenv/versions/$version"*/bin/"python$version" "/usr/bin/python$version"; do
    if "$candidate" -c 'import sys' >/dev/null 2>&1; then
        "$candidate" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done
if command -v uv >/dev/null 2>&1 && uv python find --no-python-downloads "$version" 2>/dev/null; then
    exit 0
fi
echo "no Python $version found (PATH, pyenv, uv)" >&2
exit 1
