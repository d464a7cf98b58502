#!/usr/bin/env bash
# Trains the JDK 25 AOT cache bin/ember-jailer uses (jailer/target/ember-jailer.aot): one recorded
# run of the jailer (a whole jailed start as root, else its first steps; see record below).
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
# As root, the training run is a whole jailed start: the jail built, privileges dropped, and the
# runtime image's VMM started in it (`--version`: it prints and exits), so that the cache holds
# every class and resolved call site of the common path, up to the VMM's start. Otherwise (or
# when that run records nothing) it stops early on purpose (a network namespace that does not
# exist; without root, at mknod) and undoes its work: only the recording matters.
# A cache is an optimisation: when training fails (it did once under heavy load) the build goes
# on, the jailer runs without one, and the output says why — twice tried before giving up.
whole_start() { [ "$(id -u)" -eq 0 ] && [ -x "$target/ember-runtime/bin/ember-vmm" ]; }
record() {
  rm -rf "$work/jails" "$work/jailer.aotconf"
  local how=(--uid "$(id -u)" --gid "$(id -g)" --netns "$work/no-such-netns")
  # The whole start allocates the VM's uid, as ember-launch's jails do by default.
  if [ "$1" = whole ]; then how=(-- --version); fi
  EMBER_JAILER_AOT="record:$work/jailer.aotconf" "$repo/bin/ember-jailer" --id aot-training \
    --exec-file "$target/ember-runtime/bin/ember" --chroot-base-dir "$work/jails" "${how[@]}" > "$work/record.out" 2>&1 || true
  rm -rf "$work/jails"
  [ -s "$work/jailer.aotconf" ]
}
first=early; whole_start && first=whole
if ! record "$first" && ! record early; then
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
