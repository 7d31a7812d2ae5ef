#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run checkpatch.pl --strict on every driver source file.
# checkpatch.pl ships only inside Debian's linux-source-6.1 tarball; it is
# extracted once into $QV_CHECKPATCH_DIR (default ~/.cache/qosvnic/checkpatch)
# together with the spelling and const_structs lists it needs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${QV_CHECKPATCH_DIR:-$HOME/.cache/qosvnic/checkpatch}
tarball=${QV_LINUX_SOURCE:-}

if [ ! -x "$cache/checkpatch.pl" ]; then
	if [ -z "$tarball" ]; then
		tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null |
			sort -V | tail -n 1 || true)
	fi
	if [ -z "$tarball" ] || [ ! -f "$tarball" ]; then
		echo "no checkpatch.pl in $cache and no kernel source tarball;" >&2
		echo "  apt-get install linux-source-6.1 (or set QV_LINUX_SOURCE=...tar.xz)" >&2
		exit 2
	fi
	top=$(basename "$tarball" .tar.xz)
	mkdir -p "$cache"
	tar -xJf "$tarball" -C "$cache" --strip-components=2 \
		"$top/scripts/checkpatch.pl" \
		"$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
fi

cd "$here"
status=0
for f in $(ls *.c *.h | grep -v '\.mod\.c$'); do
	out=$("$cache/checkpatch.pl" --strict --no-tree --show-types -f "$f") ||
		status=1
	echo "$out" | grep -v '^total:' | grep -v 'ready for submission' |
		grep -v '^NOTE:\|^      them to\|^$' || true
	echo "$f: $(echo "$out" | grep '^total:')"
done
exit $status
