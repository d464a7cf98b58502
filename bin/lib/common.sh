# Shared by the bin/ scripts: repository root, the JDK to use, and idempotent package installs.
# shellcheck shell=bash
# Without a subshell when this file's path is absolute and plain (every VMM start reads this file:
# each fork and exec here adds ~1 ms of wall and CPU time to it); what `cd ../.. && pwd` gives otherwise.
case ${BASH_SOURCE[0]} in
  */./*|*/../*|*//*) EMBER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) ;;
  /?*/bin/lib/common.sh) EMBER_ROOT=${BASH_SOURCE[0]%/bin/lib/common.sh} ;;
  *) EMBER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) ;;
esac
export EMBER_ROOT

# Prefer Temurin 25 (AOT cache, compact object headers); fall back to JDK 17 with a notice.
ember_pick_java() {
  if [ -n "${EMBER_JAVA_HOME:-}" ]; then
    JAVA_HOME=$EMBER_JAVA_HOME
  elif [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
    JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
  elif [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]; then
    JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
    echo "ember: Temurin 25 not found; using JDK 17 (slower start-up, no AOT cache)" >&2
  else
    JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  fi
  export JAVA_HOME
  # From the JDK's release file (JAVA_VERSION="25.0.3"): asking `java` itself costs a whole JVM
  # start (~250 ms on a loaded 2-core machine) on every `ember` start.
  # Read with builtins (no sed process: this runs at every start).
  EMBER_JAVA_FEATURE=
  local line
  if [ -r "$JAVA_HOME/release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      if [[ $line =~ ^JAVA_VERSION=\"([0-9]*) ]]; then EMBER_JAVA_FEATURE=${BASH_REMATCH[1]}; break; fi
    done < "$JAVA_HOME/release"
  fi
  if [ -z "$EMBER_JAVA_FEATURE" ]; then
    EMBER_JAVA_FEATURE=$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java.specification.version = //p')
  fi
  export EMBER_JAVA_FEATURE
}

# JVM flags for the VMM process (bench/ measures them; see bench/README.md for the figures):
# - Serial GC, small heap, C1 only: a short-lived, latency-sensitive process with a tiny heap;
#   C1 alone compiles fast and keeps the compiler's own memory small.
# - No -Xshare flag: CDS is on by default, and -Xshare:* is refused together with -XX:AOTCache.
# - -XX:-UsePerfData: no hsperfdata file in /tmp per VM (nothing to clean up, jail-friendly).
# - JVM log output to stderr: stdout is the guest's serial console and must carry only guest bytes.
# - jffi's JNI stub library from api-server/target/native (extracted by bin/train-aot), so a
#   start does not extract it into /tmp.
# - A 1 MiB young generation: the VMM allocates little after boot, and every eden page a VM
#   touches once stays resident (-1 MiB PSS per VM, no measurable start-up cost).
# On 25: compact object headers; jffi's Unsafe use and native access allowed quietly;
# - ArchiveRelocationMode=0: map the CDS/AOT archive at its base address instead of relocating it
#   to a random one, so its read-only part stays clean and is shared by co-resident VMs (JDK 20+
#   relocates by default, which dirties every page). Costs the archive's ASLR; EMBER_CDS_ASLR=1
#   restores it.
# - TrimNativeHeapInterval: give freed malloc memory (class loading, JIT
#   at start) back to the kernel every 2 s (-10 MiB RSS per VM after boot).
# - CompileThresholdScaling=4: C1 compiles a method after 4x the default invocation/loop counts, so
#   the start path's lukewarm methods stay interpreted while the hot paths (exit dispatch,
#   virtqueues: thousands of calls per second) still compile within moments. Fewer compiled
#   methods: -1.3 MiB PSS per VM (code cache, compiler arenas) and ~5% less start-up CPU.
# - The code cache committed whole at start (InitialCodeCacheSize = ReservedCodeCacheSize, 16 MiB;
#   C1 alone uses 1-3 MiB; untouched pages cost nothing): it otherwise grows in 64 KiB steps,
#   each an mmap with PROT_EXEC on whichever thread needs room, and a Java thread does (an itable
#   or vtable stub for a call its compiled code makes). The api and vcpu seccomp filters forbid
#   executable memory, so such a growth on ember-api-io killed the VMM with SIGSYS (seen in 2 of 5
#   15 s API soaks once the request path compiled early; 0 of 4 with this).
# - CompileThresholdScaling=0.1 for the API's request path (Undertow, XNIO, dev.ember.api), by
#   CompileCommand (quiet: its confirmation would go to stdout, the guest's console): under the
#   global 4 the path stayed interpreted for ~1,000 requests, and an interpreted GET / took
#   ~2x QEMU's QMP round trip; C1 code for these few classes answers in ~0.6x (bench/README.md).
#   The start path and the VM's own hot paths keep the global scaling.
# -XX:+DisplayVMOutputToStderr: the JVM's own output (a SIGQUIT thread dump) goes to stderr, the
# log, never into the guest's serial console on stdout. -Xrs would stop the dump too, but it also
# reserves SIGTERM/SIGINT/SIGHUP, which Ember handles to stop the microVM cleanly.
ember_jvm_opts() {
  local opts=(-XX:+UseSerialGC -Xms4m -Xmn1m -Xmx128m -Xss512k -XX:TieredStopAtLevel=1
              -XX:ReservedCodeCacheSize=16m -XX:InitialCodeCacheSize=16m
              -XX:CompileThresholdScaling=4 -XX:CompileCommand=quiet
              -XX:CompileCommand=CompileThresholdScaling,io.undertow.*::*,0.1
              -XX:CompileCommand=CompileThresholdScaling,org.xnio.*::*,0.1
              -XX:CompileCommand=CompileThresholdScaling,dev.ember.api.*::*,0.1
              -XX:-UsePerfData -Xlog:disable -Xlog:all=warning:stderr
              -XX:+DisplayVMOutputToStderr
              -Djdk.reflect.useNativeAccessorOnly=true)
  # Core reflection through the JVM's native accessors (JDK 18+; an unknown property to 17): the
  # default spins method-handle classes for each constructor and method Jackson or picocli calls
  # for the first time, which the AOT cache cannot hold. Measured (6 alternating rounds, load 8):
  # CPU to GET / 165 -> 150 ms, a snapshot load right after ready 150 -> 113 ms answered and
  # 120 -> 95 ms of CPU. No hot path uses reflection.
  if [ -d "$EMBER_ROOT/api-server/target/native" ]; then
    opts+=("-Djffi.boot.library.path=$EMBER_ROOT/api-server/target/native")
  fi
  if [ "${EMBER_JAVA_FEATURE:-17}" -ge 24 ] 2>/dev/null; then
    opts+=(-XX:+UseCompactObjectHeaders --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED
           -XX:TrimNativeHeapInterval=2000)
    if [ "${EMBER_CDS_ASLR:-0}" != 1 ]; then
      opts+=(-XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0)
    fi
    # No AOT training profiles (bin/train-aot runs with these flags too, so the cache holds none
    # and the "Training replay" thread is gone): replaying them at start queues C1 compilations of
    # methods that were warm in the training run, most of which never get hot in a VM. Measured:
    # -0.9 MiB PSS per VM at 10 VMs (the cache's RW region alone -0.5 MiB), start-up CPU unchanged
    # or slightly lower. The cache still holds the loaded and linked classes, which is its gain.
    opts+=(-XX:+UnlockDiagnosticVMOptions -XX:-AOTReplayTraining)
  fi
  # `ember_jvm_opts --set` fills EMBER_JVM_OPTS instead of printing (no subshell to read them back).
  if [ "${1:-}" = --set ]; then EMBER_JVM_OPTS=("${opts[@]}"); else printf '%s\n' "${opts[@]}"; fi
}

# Installs Debian packages that are missing (dpkg query first, so reruns are cheap).
ember_apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "ember: installing Debian packages: ${missing[*]}" >&2
  local sudo=
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# What building and testing Ember needs on a fresh Debian machine of this kind.
ember_build_deps() {
  # tmux: ConsoleEscapeIT types on a real terminal (a tmux pane). acpica-tools: AcpiTablesTest reads
  # the ACPI tables back with iasl -d. qemu-utils: qemu-storage-daemon, the vhost-user-blk back-end
  # the vhost-user tests drive (VhostUserFrontendTest).
  ember_apt_install maven gcc make binutils libc6-dev linux-libc-dev curl iproute2 e2fsprogs tmux acpica-tools qemu-utils
  # Debian releases before QEMU 8 shipped qemu-storage-daemon in qemu-system-common instead.
  [ -x /usr/bin/qemu-storage-daemon ] || ember_apt_install qemu-system-common
}

# Where the Linux tests that need guest user space run (docs/testing.md): "direct" on hardware
# KVM; "nested", inside bin/nested-kvm's L1 (QEMU/TCG: it needs no KVM of the host), where
# /dev/kvm is PVM (which cannot run guest user space) or where no usable /dev/kvm exists at all
# (seen 2026-12-07: a host kernel that is itself a PVM guest, whose kvm_pvm does not bind).
# PVM is told by its module, never by timing.
ember_linux_user_space_tier() {
  if [ -d /sys/module/kvm_pvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then echo nested; else echo direct; fi
}

# The JUnit tags the integration tests leave out for a tier (the other tier's side).
ember_excluded_test_groups() {
  case $1 in
    nested) echo guest-user-space ;;
    *) echo nested-tier ;;
  esac
}

# Maven quietly: Debian's Maven 3.8 writes ESC[0m resets through jansi even in batch mode
# (jansi.noreset), and on JDK 24+ its Guice/Guava warn about sun.misc.Unsafe at every start.
ember_mvn() {
  local opts="-Djansi.noreset=true"
  if [ "${EMBER_JAVA_FEATURE:-17}" -ge 24 ] 2>/dev/null; then
    opts+=" --sun-misc-unsafe-memory-access=allow"
  fi
  (cd "$EMBER_ROOT" && MAVEN_OPTS="$opts${MAVEN_OPTS:+ $MAVEN_OPTS}" mvn -B -q "$@")
}

# Sets variable $1 to the first of the jar files after it (a glob's expansion, in its order)
# that exists and is not a -tests or -sources jar, else to "": in the launcher's own shell, without
# the subshell and ls/grep/head processes a pipeline would take at every start.
ember_first_jar() {
  local var=$1 f
  shift
  printf -v "$var" '%s' ""
  for f in "$@"; do
    case ${f##*/} in *-tests*|*-sources*) continue ;; esac
    if [ -f "$f" ]; then printf -v "$var" '%s' "$f"; return 0; fi
  done
}

# Sets variable $1 to the VMM's class path for the api-server jar $2: that jar, then those of
# directory $3 (default api-server/target/lib; written as $4, default $3) that the API reads
# before it is ready, then the others (in C order). The JDK reads a jar's whole directory
# (interpreted, ~0.5-3 ms each) when a look-up first reaches it, and a look-up walks the class path
# in order: a resource (XNIO's Version properties) or a service (jboss-logging's provider:
# vmm-core repeats api-server's entry; see its META-INF/services) found early leaves the jars after
# it unread until the API is ready. The AOT cache is used only with the class path it was trained
# with: bin/train-aot and the runtime image's build (jailer/src/build) use this too.
ember_class_path() {
  local var=$1 jar=$2 dir=${3:-$EMBER_ROOT/api-server/target/lib} f name LC_ALL=C
  local as=${4:-$dir} rest=""
  local -a early=("" "" "")
  for f in "$dir"/*.jar; do
    name=${f##*/}
    case $name in
      api-server-*) ;;
      vmm-core-*) early[0]=":$as/$name" ;;
      xnio-api-*) early[1]=":$as/$name" ;;
      undertow-core-*) early[2]=":$as/$name" ;;
      *) rest+=":$as/$name" ;;
    esac
  done
  printf -v "$var" '%s' "$jar${early[0]}${early[1]}${early[2]}$rest"
}

# Runs MAIN_CLASS of the api-server jar with the VMM's JVM flags and AOT cache, in place of this
# shell (bin/ember, bin/ember-uffd-handler). Build first: bin/build.
ember_exec_main() {
  local main=$1 jar aot
  local -a opts
  shift
  ember_first_jar jar "$EMBER_ROOT"/api-server/target/api-server-*.jar
  if [ -z "$jar" ] || [ ! -d "$EMBER_ROOT/api-server/target/lib" ]; then
    echo "ember: not built yet; run bin/build first" >&2
    exit 1
  fi
  ember_jvm_opts --set
  opts=("${EMBER_JVM_OPTS[@]}")
  aot="$EMBER_ROOT/api-server/target/ember.aot"
  # A --no-api VMM maps the cache trained without the API (bin/train-aot): every cached class is
  # loaded at start and costs each VM ~3 KiB of private memory, and ~850 of the API cache's are
  # Undertow, XNIO and the API, which such a VMM never uses (-2.4 MiB PSS per VM, bench/README.md).
  if [ "$main" = dev.ember.cli.Main ] && [ -f "${aot%.aot}-noapi.aot" ]; then
    local arg
    for arg in "$@"; do
      if [ "$arg" = --no-api ]; then aot="${aot%.aot}-noapi.aot"; break; fi
    done
  fi
  # A cache older than one of the jars (a Maven build after bin/build) no longer matches the class
  # path: the JVM would drop its application classes without a word and start ~3x slower. Skip it,
  # and say so, until bin/train-aot (run by bin/build) refreshes it. One stat per jar, no process.
  if [ -f "$aot" ] && [ "${EMBER_JAVA_FEATURE:-17}" -ge 25 ] 2>/dev/null; then
    local j stale=
    for j in "$jar" "$EMBER_ROOT"/api-server/target/lib/*.jar; do
      if [ "$j" -nt "$aot" ]; then stale=$j; break; fi
    done
    if [ -z "$stale" ]; then
      opts+=("-XX:AOTCache=$aot")
    else
      echo "ember: ${aot#"$EMBER_ROOT"/} is older than ${stale#"$EMBER_ROOT"/}: starting without it (slower); bin/train-aot refreshes it" >&2
    fi
  fi
  # The JVM's start, for "Ember ready N us after the JVM started" (this process may be much older:
  # a shell that ran a build before exec'ing this script).
  opts+=("-Dember.jvm.start.epoch.us=${EPOCHREALTIME//[!0-9]/}")
  # Firecracker ends on SIGHUP (exit 156) even when started under nohup, which leaves SIGHUP
  # ignored; the JVM cannot handle a signal that was ignored when it started (and does not say
  # so), so such a start goes through env(1) to give SIGHUP its default back. Read with builtins:
  # this is every VMM's start.
  local -a via=()
  local line
  while IFS= read -r line; do
    if [[ $line == SigIgn:* ]]; then
      (( 16#${line##*[[:space:]]} & 1 )) && via=(env --default-signal=HUP)
      break
    fi
  done < /proc/$$/status
  local cp
  ember_class_path cp "$jar"
  exec "${via[@]}" "$JAVA_HOME/bin/java" "${opts[@]}" ${EMBER_JVM_EXTRA:-} -cp "$cp" "$main" "$@"
}
