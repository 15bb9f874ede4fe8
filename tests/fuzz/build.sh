#!/bin/sh
# Builds the libFuzzer targets (clang, ASan + UBSan) into OUTDIR:
#   tests/fuzz/build.sh OUTDIR [DEVICE...]      DEVICE: rng blk console net balloon input tablet
# Run one:  OUTDIR/fuzz_virtio_blk -max_total_time=300 CORPUS_DIR
# Not part of the default build: needs clang with libFuzzer.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: tests/fuzz/build.sh OUTDIR [DEVICE...]}
shift
devices=${*:-rng blk console net balloon input tablet}
mkdir -p "$out"
CC=${CC:-clang}
flags="-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
	-Wall -Wextra -Wno-unused-parameter
	-I$top/common -I$top/devices $(pkg-config --cflags libevent slirp)"
libs="$(pkg-config --libs libevent libevent_pthreads slirp json-c) -lpthread"
# Everything the virtio devices link against, minus the KVM-facing vm.c
# (the harness fakes guest memory).
srcs="$top/devices/virtio/virtio.c $top/devices/virtio/queue.c
	$top/devices/pci.c $top/devices/bus.c $top/devices/chardev.c
	$top/common/log.c $top/common/util.c"
for f in "$top"/devices/virtio/*.c; do
	case $f in */virtio.c|*/queue.c) ;; *) srcs="$srcs $f" ;; esac
done
for d in $devices; do
	D=$(echo "$d" | tr a-z A-Z)
	echo "fuzz: building $out/fuzz_virtio_$d"
	# shellcheck disable=SC2086
	$CC $flags -DFUZZ_$D -o "$out/fuzz_virtio_$d" "$top/tests/fuzz/fuzz_virtio.c" $srcs $libs
done
