#!/usr/bin/env bash
# Trains the runtime image's AOT cache, IMAGE/aot/ember.aot: one recorded run of the VMM with the
# image's own java and class path (IMAGE/app/'s jars, in app/jvm.args's order) through what an orchestrator does first on the
# API (GET /, an idle second, machine-config and boot-source PUTs, a refused PUT), seccomp on; then the cache is
# created from the recording (two steps, as bin/train-aot: the one-step form forks a JVM at
# exit, which seccomp forbids). Exit status non-zero when nothing was recorded.
#
#   train-image-aot.sh IMAGE JVM-OPTION...
set -euo pipefail
image=$1; shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v curl >/dev/null || { echo "train-image-aot: no curl to drive the API; skipped" >&2; exit 1; }
sock=$work/api.sock conf=$work/ember.aotconf
# app/jvm.args's class path (its order matters: bin/lib/common.sh ember_class_path), at the image's place.
cp=$(grep -x -A1 -e '-cp' "$image/app/jvm.args" | tail -n1)
cp=${cp//\/ember\//$image/}
"$image/bin/ember-vmm" "$@" "-Djffi.boot.library.path=$image/native" -XX:AOTMode=record -XX:AOTConfiguration="$conf" \
  -Xlog:aot=error:stderr -cp "$cp" dev.ember.cli.Main --api-sock "$sock" --id aot-training >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1200); do
  { [ -S "$sock" ] || ! kill -0 $pid 2>/dev/null; } && break
  sleep 0.05
done
api() { curl -sS --unix-socket "$sock" -o /dev/null -X "$1" "http://localhost$2" ${3:+-H 'Content-Type: application/json' -d "$3"} || true; }
if [ -S "$sock" ]; then
  api GET /
  # A client that closes after its request (Connection: close): Undertow's close path (ConnectionUtils)
  # would otherwise be read from its jar after such a first answer (bin/train-aot does the same).
  curl -sS --unix-socket "$sock" -o /dev/null -H 'Connection: close' http://localhost/ || true
  # Idle for a moment, as a VMM a jailer starts ahead is: it then runs a snapshot load's first
  # steps (LoadAhead), which puts their classes and call sites in the cache (as bin/train-aot does).
  sleep 1
  api GET /machine-config
  api PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 128}'
  api PUT /boot-source '{"kernel_image_path": "/no/such/kernel", "boot_args": "console=ttyS0"}'
  api PUT /machine-config '{"vcpu_count": 0}'
  api GET /vm/config
fi
kill $pid 2>/dev/null || true
wait $pid || true
if [ ! -s "$conf" ]; then
  echo "train-image-aot: the training run recorded nothing; its output:" >&2
  cat "$work/out" "$work/err" >&2
  exit 1
fi
"$image/bin/ember-vmm" "$@" "-Djffi.boot.library.path=$image/native" -XX:AOTMode=create -XX:AOTConfiguration="$conf" \
  -XX:AOTCache="$image/aot/ember.aot" -Xlog:aot=error:stderr -cp "$cp" dev.ember.cli.Main >"$work/create" 2>&1 \
  || { cat "$work/create" >&2; exit 1; }
echo "train-image-aot: $image/aot/ember.aot ($(du -h "$image/aot/ember.aot" | cut -f1))" >&2
