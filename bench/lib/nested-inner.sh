#!/usr/bin/env bash
# Runs inside the nested tier's L1 (bench/nested starts it through bin/nested-kvm): Ember and
# QEMU (-M microvm -accel kvm) take turns booting the same kernel and initramfs, N rounds, and
# each prints "RESULT <subject> <metric> <ms>" lines for bench/nested to summarise.
#   cold:   VMM spawn -> the guest init's first user-space line ("EMBER-INIT: up")
#   resume: VMM spawn with a snapshot of a guest waiting in its shell -> that shell's answer to a
#           typed command (Ember: PUT /snapshot/load; QEMU: -incoming from a migration file)
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../bin/lib/common.sh"
ember_pick_java
rounds=${1:-5}
work=$(mktemp -d /tmp/ember-nested-bench.XXXXXX)
kernel=$EMBER_ROOT/guest-images/out/vmlinux
initrd=$EMBER_ROOT/guest-images/out/initramfs.cpio
cmdline="console=ttyS0 reboot=k panic=1"
qemu_base=(qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu host -smp 2 -m 256M -nodefaults -no-user-config
           -display none -no-reboot -kernel "$kernel" -initrd "$initrd")

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# Waits up to $2 s for process $1 to end, then kills it; a run that needed killing is reported
# (under nested TCG an L2 sometimes stalls: L1's watchdog has seen a QEMU vCPU "stuck" for minutes).
finish() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then
    kill -9 "$1" 2>/dev/null; echo "RESULT $3 killed 1"
  fi
  wait "$1" 2>/dev/null
}

# Reads the fifo $1 until a line matches $2; prints the time it came, or nothing after $3 s.
await_line() {
  local line deadline=$(( ${EPOCHREALTIME%.*} + $3 ))
  while (( ${EPOCHREALTIME%.*} < deadline )); do
    if IFS= read -r -t 1 line; then
      [[ $line == *"$2"* ]] && { now_ms; return 0; }
    fi
  done < "$1"
  return 1
}

cold_ember() {
  cat > "$work/cold.json" <<EOF
{"boot-source": {"kernel_image_path": "$kernel", "initrd_path": "$initrd", "boot_args": "$cmdline ember.cmd=true"},
 "machine-config": {"vcpu_count": 2, "mem_size_mib": 256}}
EOF
  mkfifo "$work/out"
  local t0; t0=$(now_ms)
  "$EMBER_ROOT/bin/ember" --no-api --config-file "$work/cold.json" > "$work/out" 2> "$work/ember.log" &
  local pid=$! t1
  t1=$(await_line "$work/out" "EMBER-INIT: up" 120) && echo "RESULT ember cold $((t1 - t0))"
  finish "$pid" 60 ember; rm -f "$work/out"
}

cold_qemu() {
  mkfifo "$work/out"
  local t0; t0=$(now_ms)
  "${qemu_base[@]}" -serial stdio -append "$cmdline ember.cmd=true" > "$work/out" 2> "$work/qemu.log" < /dev/null &
  local pid=$! t1
  t1=$(await_line "$work/out" "EMBER-INIT: up" 120) && echo "RESULT qemu cold $((t1 - t0))"
  finish "$pid" 60 qemu; rm -f "$work/out"
}

# Types the command every 0.2 s on fd $1 until killed: QEMU drops console input that arrives
# while an incoming migration is still loading, so one early line would never be answered; both
# VMMs get the same treatment, and the first answer ends the measurement.
type_until_answered() {
  while :; do echo 'echo PONG-$((40+2))' >&"$1" || return; sleep 0.2; done
}

# One snapshot of each VMM's guest sitting in its shell, made once (not measured).
make_snapshots() {
  local sock=$work/snap.sock
  mkfifo "$work/in" "$work/out"
  # A reader on the console FIFO before the VMM opens it for writing (which blocks until there
  # is one), and a writer on its stdin FIFO right after.
  exec 8<> "$work/out"
  "$EMBER_ROOT/bin/ember" --api-sock "$sock" < "$work/in" > "$work/out" 2> "$work/ember-snap.log" &
  local pid=$!
  exec 7> "$work/in"
  local api=(curl -s --unix-socket "$sock" -X PUT -H 'Content-Type: application/json')
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.2; done
  "${api[@]}" http://l/boot-source -d "{\"kernel_image_path\": \"$kernel\", \"initrd_path\": \"$initrd\", \"boot_args\": \"$cmdline ember.shell=1\"}"
  "${api[@]}" http://l/machine-config -d '{"vcpu_count": 2, "mem_size_mib": 256}'
  "${api[@]}" http://l/actions -d '{"action_type": "InstanceStart"}'
  await_line "$work/out" "EMBER-INIT: shell" 120 > /dev/null || echo "bench: Ember's guest never reached its shell" >&2
  sleep 2
  curl -s --unix-socket "$sock" -X PATCH -H 'Content-Type: application/json' http://l/vm -d '{"state": "Paused"}'
  "${api[@]}" http://l/snapshot/create -d "{\"snapshot_path\": \"$work/ember.snap\", \"mem_file_path\": \"$work/ember.mem\"}"
  kill "$pid"; finish "$pid" 30 ember-snapshot; exec 7>&- 8>&-

  mkfifo "$work/q.in" "$work/q.out"
  exec 8<> "$work/q.out"
  "${qemu_base[@]}" -serial "pipe:$work/q" -qmp "unix:$work/qmp.sock,server=on,wait=off" \
    -append "$cmdline ember.shell=1" 2> "$work/qemu-snap.log" < /dev/null &
  pid=$!
  exec 7> "$work/q.in"
  await_line "$work/q.out" "EMBER-INIT: shell" 120 > /dev/null || echo "bench: QEMU's guest never reached its shell" >&2
  sleep 2
  /usr/bin/python3 - "$work/qmp.sock" "$work/qemu.mig" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
def cmd(c, **a):
    f.write(json.dumps({"execute": c, "arguments": a} if a else {"execute": c}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r: return r
# Live, as the guest idles in its shell: a stopped source would leave the destination paused.
f.readline(); cmd("qmp_capabilities")
cmd("migrate", uri="exec:cat > " + sys.argv[2])
while cmd("query-migrate")["return"].get("status") not in ("completed", "failed"): time.sleep(0.1)
cmd("quit")
PY
  finish "$pid" 60 qemu-snapshot; exec 7>&- 8>&-; rm -f "$work/in" "$work/out" "$work/q.in" "$work/q.out"
}

resume_ember() {
  local sock=$work/r.sock
  mkfifo "$work/in" "$work/out"
  exec 8<> "$work/out"
  local t0; t0=$(now_ms)
  "$EMBER_ROOT/bin/ember" --api-sock "$sock" < "$work/in" > "$work/out" 2> "$work/ember-r.log" &
  local pid=$!
  exec 7> "$work/in"
  until [ -S "$sock" ]; do sleep 0.01; done
  curl -s --unix-socket "$sock" -X PUT -H 'Content-Type: application/json' http://l/snapshot/load \
    -d "{\"snapshot_path\": \"$work/ember.snap\", \"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"$work/ember.mem\"}, \"resume_vm\": true}"
  type_until_answered 7 &
  local typer=$! t1
  t1=$(await_line "$work/out" "PONG-42" 60) && echo "RESULT ember resume $((t1 - t0))"
  kill "$typer" 2>/dev/null; wait "$typer" 2>/dev/null
  kill "$pid"; finish "$pid" 30 ember; exec 7>&- 8>&-; rm -f "$work/in" "$work/out"
}

resume_qemu() {
  mkfifo "$work/q.in" "$work/q.out"
  exec 8<> "$work/q.out"
  local t0; t0=$(now_ms)
  "${qemu_base[@]}" -serial "pipe:$work/q" -incoming "exec:cat $work/qemu.mig" \
    -append "$cmdline ember.shell=1" 2> "$work/qemu-r.log" < /dev/null &
  local pid=$!
  exec 7> "$work/q.in"
  type_until_answered 7 &
  local typer=$! t1
  t1=$(await_line "$work/q.out" "PONG-42" 60) && echo "RESULT qemu resume $((t1 - t0))"
  kill "$typer" 2>/dev/null; wait "$typer" 2>/dev/null
  kill "$pid"; finish "$pid" 30 qemu; exec 7>&- 8>&-; rm -f "$work/q.in" "$work/q.out"
}

what=${2:-both}
if [ "$what" != resume ]; then
  for ((r = 1; r <= rounds; r++)); do
    # Interleaved, and the order alternates, so drift in the emulated machine's speed hits both.
    if ((r % 2)); then cold_ember; cold_qemu; else cold_qemu; cold_ember; fi
  done
fi
if [ "$what" != cold ]; then
  make_snapshots
  for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then resume_ember; resume_qemu; else resume_qemu; resume_ember; fi
  done
fi
rm -rf "$work"
