#!/usr/bin/env bash
# Builds the Ember runtime image the jailer mounts read-only into each jail (see
# dev.ember.jailer.RuntimeImage): a jlink image of the building JDK with the modules Ember needs,
# its java launcher also as bin/ember-vmm (what the jailer runs in the jail), bin/ember (a script
# that runs the VMM from the image on the host: `--version`, or unjailed), the application jars
# and jvm.args in app/, jffi's native
# stub in native/, and the host shared libraries all of that needs (found with ldd) in sysroot/.
#
#   make-runtime-image.sh JDK_HOME OUT_DIR JARS_DIR REPO_ROOT
#
# Incremental: jlink runs again only when the JDK or the module list changes.
set -euo pipefail
jdk=$1 out=$2 jars=$3 repo=$4

# The JDK modules Ember and its libraries use. Derived with `jdeps -s` over every jar in app/
# (one jar at a time: several are modular and jdeps cannot resolve them together):
# java.base java.logging java.management java.naming java.security.jgss java.security.sasl
# java.sql java.xml jdk.management jdk.unsupported; jdk.net is added because the JDK's socket
# classes probe its extended options when present. Re-derive when adding a dependency.
modules=java.base,java.logging,java.management,java.naming,java.security.jgss,java.security.sasl,java.sql,java.xml,jdk.management,jdk.unsupported,jdk.net

die() { echo "make-runtime-image: $*" >&2; exit 1; }
[ -x "$jdk/bin/jlink" ] || die "$jdk has no bin/jlink (a full JDK is needed, not a JRE)"
[ -d "$jars" ] || die "no jars in $jars"
jars=$(cd "$jars" && pwd)
out=$(mkdir -p "$out" && cd "$out" && pwd)

stamp="$jdk|$("$jdk/bin/java" -version 2>&1 | head -n1)|$modules"
if [ ! -f "$out/.jlink-stamp" ] || [ "$(cat "$out/.jlink-stamp")" != "$stamp" ]; then
  rm -rf "$out"
  "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --output "$out"
  echo "$stamp" > "$out/.jlink-stamp"
fi
# The java launcher under the VMM's name, for the jailed process's comm (ps shows ember-vmm).
rm -f "$out/bin/ember-vmm" "$out/bin/ember"
cp "$out/bin/java" "$out/bin/ember-vmm"
# bin/ember: the VMM run from this image on the host, so that one path answers `--version` and
# serves as the jailer's --exec-file (orchestrators such as Kata Containers use one path for both).
cat > "$out/bin/ember" <<'SCRIPT'
#!/usr/bin/env bash
# Runs the Ember VMM (dev.ember.cli.Main) from this runtime image, unjailed. As the jailer's
# --exec-file it names the image; the jailer runs bin/ember-vmm with app/jvm.args in the jail.
set -euo pipefail
home=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
# app/jvm.args holds paths inside the jail (/ember/...): the same options with the host's paths.
mapfile -t opts < <(grep -v -e '^-cp$' -e '/ember/' "$home/app/jvm.args")
cp=$(grep -x -A1 -e '-cp' "$home/app/jvm.args" | tail -n1)
# The image's AOT cache (trained by the build) holds for any place the image is mounted at.
[ -f "$home/aot/ember.aot" ] && opts+=("-XX:AOTCache=$home/aot/ember.aot")
# The JVM's start, for "Ember ready N us after the JVM started" (see bin/ember).
exec "$home/bin/ember-vmm" "${opts[@]}" "-Dember.jvm.start.epoch.us=${EPOCHREALTIME//[!0-9]/}" \
  "-Djffi.boot.library.path=$home/native" -cp "${cp//\/ember\//$home/}" dev.ember.cli.Main "$@"
SCRIPT
chmod 755 "$out/bin/ember"

# Application jars: everything the VMM runs with (brought up to date every build).
# A jar whose bytes did not change is left as it is: the AOT cache below records each jar's size
# and time, and is retrained only when they change.
rm -rf "$out/native" "$out/app/jvm.args"
mkdir -p "$out/app" "$out/native"
for f in "$out"/app/*.jar; do
  if [ -e "$f" ] && [ ! -e "$jars/$(basename "$f")" ]; then rm -f "$f"; fi
done
for f in "$jars"/*.jar; do
  case "$(basename "$f")" in jffi-*-native.jar) continue ;; esac
  if ! cmp -s "$f" "$out/app/$(basename "$f")"; then cp "$f" "$out/app/"; fi
done
rm -f "$out"/app/jffi-*-native.jar
native_jar=$(ls "$jars"/jffi-*-native.jar | head -n1)
# jffi would otherwise unpack its stub into /tmp at every start; the jail has no /tmp.
(cd "$out/native" && "$jdk/bin/jar" xf "$native_jar" jni/x86_64-Linux/libjffi-1.2.so \
  && mv jni/x86_64-Linux/libjffi-1.2.so . && rm -rf jni)

# Shared libraries from the host: whatever ldd resolves for the image's executables and
# libraries, at the paths the dynamic loader searches (/lib/x86_64-linux-gnu, /lib64).
rm -rf "$out/sysroot"
mkdir -p "$out/sysroot/lib/x86_64-linux-gnu" "$out/sysroot/lib64"
mapfile -t elves < <(find "$out/bin" "$out/lib" "$out/native" -type f \( -name '*.so' -o -perm -u+x \) )
for f in "${elves[@]}"; do
  ldd "$f" 2>/dev/null || true
done | awk '/=> \// {print $1, $3} /^\t\/lib64\// {print "INTERP", $1}' | sort -u | while read -r name path; do
  if [ "$name" = INTERP ]; then
    cp -L "$path" "$out/sysroot/lib64/"
  else
    case "$path" in "$out"/*) continue ;; esac   # the image's own libraries
    cp -L "$path" "$out/sysroot/lib/x86_64-linux-gnu/$name"
  fi
done
# The VMM calls libc's functions (sys.LibC looks them up in the process).
[ -f "$out/sysroot/lib/x86_64-linux-gnu/libc.so.6" ] || die "ldd found no libc.so.6"

# JVM options of the jailed VMM: the same as bin/ember's, with paths inside the jail.
. "$repo/bin/lib/common.sh"
EMBER_JAVA_FEATURE=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$out/release")
export EMBER_JAVA_FEATURE
{
  ember_jvm_opts
  ember_jvm_opts | grep -qx -- -XX:-UsePerfData || echo "-XX:-UsePerfData"   # no /tmp/hsperfdata in the jail
  echo "-Djffi.boot.library.path=/ember/native"
  # The class path in bin/ember's order (bin/lib/common.sh ember_class_path says why).
  ember_class_path cp "/ember/app/$(cd "$out/app" && ls api-server-*.jar | head -n1)" "$out/app" /ember/app
  echo "-cp"
  echo "$cp"
} > "$out/app/jvm.args"

# The JDK's default class-data archive (jlink leaves it out), dumped with the VMM's own options
# so that the module graph is archived too: start-up maps JDK classes instead of parsing them.
mapfile -t vm_opts < <(grep -v -e '^-cp$' -e '^/ember/app' -e '^-XX:AOTCache=' "$out/app/jvm.args")
cds_stamp="$stamp|${vm_opts[*]}"
if [ ! -f "$out/.cds-stamp" ] || [ "$(cat "$out/.cds-stamp")" != "$cds_stamp" ]; then
  rm -f "$out"/lib/server/classes*.jsa
  "$out/bin/java" "${vm_opts[@]}" -Xshare:dump -Xlog:disable >/dev/null
  echo "$cds_stamp" > "$out/.cds-stamp"
fi

# The jailed VMM's own JDK 25 AOT cache (aot/ember.aot), trained with this image's java on the
# API start path (GET /, configuration PUTs, a refused one) with seccomp on, as in a jail. The
# cache records the class path relative to where the image is: trained here at $out/app/..., it
# serves /ember/app/... in every jail (and bin/ember above). Retrained only when the jars, the
# JVM options, the JDK or the training change; a failed training leaves the image without a cache (slower
# start, nothing else) and says why.
if [ "$EMBER_JAVA_FEATURE" -ge 25 ] 2>/dev/null; then
  aot_stamp="$cds_stamp|$(grep -x -A1 -e '-cp' "$out/app/jvm.args" | tail -n1)|$(cksum < "$repo/jailer/src/build/train-image-aot.sh")|$(cd "$out/app" && ls -l --time-style=+%s -- *.jar | awk '{print $5, $6, $7}' | tr '\n' ' ')"
  if [ ! -f "$out/aot/ember.aot" ] || [ "$(cat "$out/aot/.stamp" 2>/dev/null)" != "$aot_stamp" ]; then
    rm -rf "$out/aot" && mkdir -p "$out/aot"
    if "$repo/jailer/src/build/train-image-aot.sh" "$out" "${vm_opts[@]}"; then
      echo "$aot_stamp" > "$out/aot/.stamp"
    else
      rm -rf "$out/aot"
      echo "make-runtime-image: training the image's AOT cache failed; the jailed VMM starts without one" >&2
    fi
  fi
  if [ -f "$out/aot/ember.aot" ]; then
    echo "-XX:AOTCache=/ember/aot/ember.aot" >> "$out/app/jvm.args"
  fi
fi
echo "make-runtime-image: $out ($(du -sh "$out" | cut -f1), Java $EMBER_JAVA_FEATURE)"
