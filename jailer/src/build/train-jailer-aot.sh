#!/usr/bin/env bash
# Trains the JDK 25 AOT cache bin/ember-jailer uses (jailer/target/ember-jailer.aot): one recorded
# run of the jailer through validation, jffi set-up and the jail's first steps,
# which then fails on purpose (a network namespace that does not exist) and undoes its work.
# Skipped on a JDK older than 25. Run by the jailer module's Maven build after the jar is made.
#
#   train-jailer-aot.sh REPO_ROOT
set -euo pipefail
repo=$1
. "$repo/bin/lib/common.sh"
ember_pick_java
if [ "${EMBER_JAVA_FEATURE:-17}" -lt 25 ] 2>/dev/null; then
  echo "train-jailer-aot: Java $EMBER_JAVA_FEATURE has no AOT cache (needs 25); skipped" >&2
  exit 0
fi
target=$repo/jailer/target
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -f "$target/ember-jailer.aot"
# The run is meant to fail (exit 1 or, without root, 1 at mknod): only the recording matters.
# A cache is an optimisation: when training fails (it did once under heavy load) the build goes
# on, the jailer runs without one, and the output says why — twice tried before giving up.
record() {
  rm -rf "$work/jails" "$work/jailer.aotconf"
  EMBER_JAILER_AOT="record:$work/jailer.aotconf" "$repo/bin/ember-jailer" --id aot-training \
    --exec-file "$target/ember-runtime/bin/ember" --uid "$(id -u)" --gid "$(id -g)" \
    --chroot-base-dir "$work/jails" --netns "$work/no-such-netns" > "$work/record.out" 2>&1 || true
  [ -s "$work/jailer.aotconf" ]
}
if ! record && ! record; then
  echo "train-jailer-aot: the training run recorded nothing (twice); ember-jailer runs without an AOT cache." \
    "The run's output:" >&2
  sed 's/^/  /' "$work/record.out" >&2
  exit 0
fi
if ! EMBER_JAILER_AOT="create:$work/jailer.aotconf" "$repo/bin/ember-jailer" --help > "$work/create.out" 2>&1 \
    || [ ! -s "$target/ember-jailer.aot" ]; then
  echo "train-jailer-aot: no cache was created; ember-jailer runs without one. Output:" >&2
  sed 's/^/  /' "$work/create.out" >&2
  rm -f "$target/ember-jailer.aot"
  exit 0
fi
echo "train-jailer-aot: $target/ember-jailer.aot ($(du -h "$target/ember-jailer.aot" | cut -f1))"
