#!/usr/bin/env bash
# Runs inside the nested tier's L1 (bench/nested starts it through bin/nested-kvm): Ember and
# QEMU (-M microvm -accel kvm) take turns booting the same kernel and initramfs, N rounds, and
# each prints "RESULT <subject> <metric> <ms>" lines for bench/nested to summarise.
#   cold:   VMM spawn -> the guest init's first user-space line ("EMBER-INIT: up")
#   resume: VMM spawn with a snapshot of a guest waiting in its shell -> that shell's answer to a
#           typed command (Ember: PUT /snapshot/load; QEMU: -incoming from a migration file)
#   vsock:  throughput both ways and connect latency (bench/lib/vsock-probe.py) against the
#           guest's own AF_VSOCK tool; Ember's hybrid vsock vs QEMU's vhost-vsock-device
#   mmds:   guest wget GETs from the metadata service, per request (Ember alone: QEMU has none)
#   density: host memory the balloon gives back (VmRSS after a 128 MiB inflate of a guest that
#           touched 160 MiB), and the summed PSS of EMBER_BENCH_DENSITY_N (4) idle guests that
#           touched 160 MiB each, without and with free page reporting (virtio-balloon both sides)
#   pci:    Ember alone, its virtio devices on virtio-mmio against --enable-pci (virtio-pci, MSI-X):
#           spawn -> init's first line, and the guest reading a 64 MiB drive with dd (bs 1 MiB)
#   bench/lib/nested-inner.sh ROUNDS [cold|resume|vsock|mmds|density|pci|both|all]   (both = cold + resume)
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

# Ember with a 64 MiB data drive (/dev/vda), on virtio-mmio ($1 = ember) or PCI ($1 = ember-pci):
# spawn -> init's first line, and that line -> dd's end, as the KiB the guest read per second.
pci_round() {
  local subject=$1 flags=()
  [ "$subject" = ember-pci ] && flags=(--enable-pci)
  [ -f "$work/data.img" ] || head -c $((64 << 20)) /dev/urandom > "$work/data.img"
  cat > "$work/pci.json" <<EOF
{"boot-source": {"kernel_image_path": "$kernel", "initrd_path": "$initrd",
  "boot_args": "$cmdline ember.cmd=\\"dd if=/dev/vda of=/dev/null bs=1M count=64 && echo DD-DONE\\""},
 "machine-config": {"vcpu_count": 2, "mem_size_mib": 256},
 "drives": [{"drive_id": "data", "path_on_host": "$work/data.img", "is_root_device": false, "is_read_only": true}]}
EOF
  mkfifo "$work/out"
  local t0; t0=$(now_ms)
  "$EMBER_ROOT/bin/ember" --no-api "${flags[@]}" --config-file "$work/pci.json" > "$work/out" 2> "$work/ember.log" &
  local pid=$! t1= t2=
  exec 7< "$work/out"
  t1=$(await_line /dev/fd/7 "EMBER-INIT: up" 120) && echo "RESULT $subject cold $((t1 - t0))"
  t2=$(await_line /dev/fd/7 "DD-DONE" 120) && [ -n "$t1" ] && echo "RESULT $subject blk-read $(( (64 << 10) * 1000 / (t2 - t1 + 1) ))"
  exec 7<&-
  finish "$pid" 60 "$subject"; rm -f "$work/out"
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

# Like await_line, but prints the matching line itself.
await_match() {
  local line deadline=$(( ${EPOCHREALTIME%.*} + $3 ))
  while (( ${EPOCHREALTIME%.*} < deadline )); do
    if IFS= read -r -t 1 line; then
      [[ $line == *"$2"* ]] && { printf '%s\n' "$line"; return 0; }
    fi
  done < "$1"
  return 1
}

VSOCK_MIB=${EMBER_BENCH_VSOCK_MIB:-32}
# The guest's servers: a byte counter, an echo and a shell agent (guest-images/rootfs/ember-vsock.c).
VSOCK_SERVERS='ember-vsock listen 5001 wc -c & ember-vsock listen 5002 & ember-vsock listen 1024 sh &'

# $1 subject, $2 console fifo, $3 stdin fd, $4 vsock address for the probe
vsock_probe() {
  if ! await_line "$2" "EMBER-INIT: shell" 120 > /dev/null; then
    echo "bench: $1's guest never reached its shell" >&2; return
  fi
  echo "$VSOCK_SERVERS" >&"$3"
  if ! await_line "$2" "listening on 1024" 60 > /dev/null; then
    echo "bench: $1's guest vsock servers did not start" >&2; return
  fi
  cat "$2" > /dev/null &   # keep the console drained while the probe runs
  local drain=$!
  /usr/bin/python3 "$EMBER_ROOT/bench/lib/vsock-probe.py" "$1" "$4" "$VSOCK_MIB" 1 30 || true
  kill "$drain" 2>/dev/null; wait "$drain" 2>/dev/null
}

vsock_ember() {
  cat > "$work/vsock.json" <<EOF
{"boot-source": {"kernel_image_path": "$kernel", "initrd_path": "$initrd", "boot_args": "$cmdline ember.shell=1"},
 "machine-config": {"vcpu_count": 2, "mem_size_mib": 256},
 "vsock": {"guest_cid": 3, "uds_path": "$work/v.sock"}}
EOF
  mkfifo "$work/in" "$work/out"
  exec 8<> "$work/out"
  "$EMBER_ROOT/bin/ember" --no-api --config-file "$work/vsock.json" < "$work/in" > "$work/out" 2> "$work/ember-vsock.log" &
  local pid=$!
  exec 7> "$work/in"
  vsock_probe ember "$work/out" 7 "$work/v.sock"
  kill "$pid" 2>/dev/null; finish "$pid" 30 ember; exec 7>&- 8>&-; rm -f "$work/in" "$work/out" "$work"/v.sock*
}

vsock_qemu() {
  mkfifo "$work/q.in" "$work/q.out"
  exec 8<> "$work/q.out"
  "${qemu_base[@]}" -device vhost-vsock-device,guest-cid=3 -serial "pipe:$work/q" -append "$cmdline ember.shell=1" \
    2> "$work/qemu-vsock.log" < /dev/null &
  local pid=$!
  exec 7> "$work/q.in"
  vsock_probe qemu "$work/q.out" 7 -
  kill "$pid" 2>/dev/null; finish "$pid" 30 qemu; exec 7>&- 8>&-; rm -f "$work/q.in" "$work/q.out"
}

# 50 sequential busybox wget GETs (each a new TCP connection to the MMDS), timed by the guest's
# /proc/uptime; the figure is microseconds per request.
mmds_ember() {
  ip tuntap add dev embtap0 mode tap 2>/dev/null
  ip addr add 172.30.92.1/24 dev embtap0 2>/dev/null
  ip link set embtap0 up
  echo '{"latest": {"meta-data": {"ami-id": "ami-12345678"}}}' > "$work/metadata.json"
  cat > "$work/mmds.json" <<EOF
{"boot-source": {"kernel_image_path": "$kernel", "initrd_path": "$initrd",
                 "boot_args": "$cmdline ip=172.30.92.2::172.30.92.1:255.255.255.0::eth0:off ember.shell=1"},
 "machine-config": {"vcpu_count": 2, "mem_size_mib": 256},
 "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "embtap0", "guest_mac": "06:00:ac:1e:5c:02"}],
 "mmds-config": {"version": "V1", "network_interfaces": ["eth0"]}}
EOF
  mkfifo "$work/in" "$work/out"
  exec 8<> "$work/out"
  "$EMBER_ROOT/bin/ember" --no-api --config-file "$work/mmds.json" --metadata "$work/metadata.json" \
    < "$work/in" > "$work/out" 2> "$work/ember-mmds.log" &
  local pid=$! line
  exec 7> "$work/in"
  if await_line "$work/out" "EMBER-INIT: shell" 120 > /dev/null; then
    # The marker is computed by the guest, so the console's echo of the typed line cannot match it.
    echo 'ip route add 169.254.169.254 dev eth0; a=$(cut -d" " -f1 /proc/uptime); i=0; while [ $i -lt 50 ]; do wget -qO- http://169.254.169.254/latest/meta-data/ami-id > /dev/null || echo MMDS-FAILED; i=$((i+1)); done; echo MMDS-$((25+25))-GETS $a $(cut -d" " -f1 /proc/uptime)' >&7
    if line=$(await_match "$work/out" "MMDS-50-GETS" 300) && [[ $line =~ MMDS-50-GETS\ ([0-9.]+)\ ([0-9.]+) ]]; then
      echo "RESULT ember mmds $(awk -v a="${BASH_REMATCH[1]}" -v b="${BASH_REMATCH[2]}" 'BEGIN { printf "%d", (b - a) * 1e6 / 50 }')"
    else
      echo "bench: the guest's 50 MMDS GETs did not finish" >&2
    fi
  else
    echo "bench: Ember's guest with a NIC never reached its shell" >&2
  fi
  kill "$pid" 2>/dev/null; finish "$pid" 30 ember; exec 7>&- 8>&-; rm -f "$work/in" "$work/out"
}

# ---- density: memory the host gets back ------------------------------------------------------
# Each guest touches 160 MiB (a dd buffer, freed when dd ends), says so, then idles.
DENSITY_N=${EMBER_BENCH_DENSITY_N:-4}
DENSITY_CMD='ember.cmd="dd if=/dev/zero of=/dev/null bs=160M count=1 2>/dev/null; echo EMBER-DENSITY-IDLE; while :; do sleep 600; done"'
DENSITY_SETTLE=${EMBER_BENCH_DENSITY_SETTLE:-20}

field_kib() { awk -v f="$2:" '$1 == f { print $2; exit }' "$1"; }   # file field -> kB value

# Waits until every console file $2.. says the guest is idle (at most $1 s); 1 when one never did.
await_idle() {
  local limit=$1 f deadline=$(( ${EPOCHREALTIME%.*} + $1 )); shift
  for f in "$@"; do
    until grep -q EMBER-DENSITY-IDLE "$f" 2>/dev/null; do
      (( ${EPOCHREALTIME%.*} < deadline )) || { echo "bench: $f: the guest never went idle" >&2; return 1; }
      sleep 1
    done
  done
}

# $1 subject, $2 mode (plain|reporting), $3.. pids of the VMMs: the sum of their PSS once idle.
density_measure() {
  local subject=$1 mode=$2 pid sum=0; shift 2
  sleep "$DENSITY_SETTLE"   # Linux reports freed 2 MiB blocks a few seconds after the free
  for pid in "$@"; do sum=$(( sum + $(field_kib /proc/"$pid"/smaps_rollup Pss) )); done
  echo "RESULT $subject density-$mode $(( sum / 1024 ))"
}

density_ember() {
  local fpr=false pids=() outs=() i
  [ "$1" = reporting ] && fpr=true
  for ((i = 1; i <= DENSITY_N; i++)); do
    cat > "$work/d$i.json" <<JSON
{"boot-source": {"kernel_image_path": "$kernel", "initrd_path": "$initrd", "boot_args": "$cmdline ${DENSITY_CMD//\"/\\\"}"},
 "machine-config": {"vcpu_count": 2, "mem_size_mib": 256},
 "balloon": {"amount_mib": 0, "deflate_on_oom": false, "free_page_reporting": $fpr}}
JSON
    "$EMBER_ROOT/bin/ember" --no-api --config-file "$work/d$i.json" > "$work/ember-d$i.out" 2> "$work/ember-d$i.log" < /dev/null &
    pids+=($!); outs+=("$work/ember-d$i.out")
  done
  await_idle 600 "${outs[@]}" && density_measure ember "$1" "${pids[@]}"
  for i in "${pids[@]}"; do kill "$i" 2>/dev/null; finish "$i" 30 ember; done
}

density_qemu() {
  local fpr=off pids=() outs=() i
  [ "$1" = reporting ] && fpr=on
  for ((i = 1; i <= DENSITY_N; i++)); do
    "${qemu_base[@]}" -device "virtio-balloon-device,free-page-reporting=$fpr" -serial "file:$work/qemu-d$i.out" \
      -append "$cmdline $DENSITY_CMD" 2> "$work/qemu-d$i.log" < /dev/null &
    pids+=($!); outs+=("$work/qemu-d$i.out")
  done
  await_idle 600 "${outs[@]}" && density_measure qemu "$1" "${pids[@]}"
  for i in "${pids[@]}"; do kill "$i" 2>/dev/null; finish "$i" 30 qemu; done
}

# RssAnon (guest RAM is anonymous memory in both VMMs) the host got back within 120 s of a
# 128 MiB inflate, in MiB; the guest had touched 160 MiB. $1 subject, $2 pid, $3 the command
# that inflates.
balloon_measure() {
  local before after prev i
  sleep 10
  before=$(field_kib /proc/"$2"/status RssAnon)
  eval "$3" || { echo "bench: $1: the inflate request failed" >&2; return; }
  prev=$before
  for ((i = 0; i < 60; i++)); do   # until it has fallen and stops falling (2 s apart, within 1 MiB)
    sleep 2
    after=$(field_kib /proc/"$2"/status RssAnon)
    (( before - after > 8192 && prev - after < 1024 )) && break
    prev=$after
  done
  echo "bench: $1 balloon: RssAnon $before -> $after KiB" >&2
  echo "RESULT $1 balloon $(( (before - after) / 1024 ))"
}

balloon_ember() {
  cat > "$work/b.json" <<JSON
{"boot-source": {"kernel_image_path": "$kernel", "initrd_path": "$initrd", "boot_args": "$cmdline ${DENSITY_CMD//\"/\\\"}"},
 "machine-config": {"vcpu_count": 2, "mem_size_mib": 256},
 "balloon": {"amount_mib": 0, "deflate_on_oom": false}}
JSON
  rm -f "$work/b.sock"
  "$EMBER_ROOT/bin/ember" --api-sock "$work/b.sock" --config-file "$work/b.json" > "$work/ember-b.out" 2> "$work/ember-b.log" < /dev/null &
  local pid=$!
  await_idle 300 "$work/ember-b.out" && balloon_measure ember "$pid" \
    "curl -sf --unix-socket $work/b.sock -X PATCH -H 'Content-Type: application/json' http://l/balloon -d '{\"amount_mib\": 128}'"
  kill "$pid" 2>/dev/null; finish "$pid" 30 ember
}

balloon_qemu() {
  rm -f "$work/qmp.sock"
  "${qemu_base[@]}" -device virtio-balloon-device -qmp "unix:$work/qmp.sock,server=on,wait=off" \
    -serial "file:$work/qemu-b.out" -append "$cmdline $DENSITY_CMD" 2> "$work/qemu-b.log" < /dev/null &
  local pid=$!
  # QMP's balloon takes the guest's target size: 256 - 128 MiB.
  await_idle 300 "$work/qemu-b.out" && balloon_measure qemu "$pid" \
    "/usr/bin/python3 -c 'import socket,json; s=socket.socket(socket.AF_UNIX); s.connect(\"$work/qmp.sock\"); f=s.makefile(\"rw\"); f.readline(); [(f.write(json.dumps(c)+\"\\n\"), f.flush(), f.readline()) for c in ({\"execute\":\"qmp_capabilities\"},{\"execute\":\"balloon\",\"arguments\":{\"value\":134217728}})]'"
  kill "$pid" 2>/dev/null; finish "$pid" 30 qemu
}

what=${2:-both}
has() { [ "$what" = all ] || [ "$what" = "$1" ] || { [ "$what" = both ] && { [ "$1" = cold ] || [ "$1" = resume ]; }; }; }
if has cold; then
  for ((r = 1; r <= rounds; r++)); do
    # Interleaved, and the order alternates, so drift in the emulated machine's speed hits both.
    if ((r % 2)); then cold_ember; cold_qemu; else cold_qemu; cold_ember; fi
  done
fi
if has resume; then
  make_snapshots
  for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then resume_ember; resume_qemu; else resume_qemu; resume_ember; fi
  done
fi
if has density || [ "$what" = balloon ]; then
  for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then balloon_ember; balloon_qemu; else balloon_qemu; balloon_ember; fi
    [ "$what" = balloon ] && continue
    for mode in plain reporting; do
      if ((r % 2)); then density_ember $mode; density_qemu $mode; else density_qemu $mode; density_ember $mode; fi
    done
  done
fi
if has vsock; then
  modprobe vhost_vsock 2>/dev/null || echo "bench: no vhost_vsock module in L1: QEMU's vsock is not measured" >&2
  for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then vsock_ember; vsock_qemu; else vsock_qemu; vsock_ember; fi
  done
fi
if [ "$what" = pci ]; then
  for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then pci_round ember; pci_round ember-pci; else pci_round ember-pci; pci_round ember; fi
  done
fi
if has mmds; then
  for ((r = 1; r <= rounds; r++)); do mmds_ember; done
fi
rm -rf "$work"
