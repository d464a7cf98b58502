#!/usr/bin/env bash
# Boots every scenario of testguest-qemu.elf under QEMU/TCG and checks its output and result
# code: a check of the guest image on its own, apart from Ember (`make qemu-check`).
# QEMU's isa-debug-exit turns the guest's result code c into exit status 2c+1.
set -uo pipefail
elf=${1:?usage: check.sh testguest-qemu.elf}
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-check: qemu-system-x86_64 not found (apt-get install qemu-system-x86)" >&2; exit 2; }
failed=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

boot() { # scenario cpus seconds: guest output in $out, QEMU's status in $status
  timeout "$3" qemu-system-x86_64 -M pc -accel tcg -m 128 -smp "$2,sockets=$2" -display none \
    -monitor none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=1 \
    -kernel "$elf" -append "console=ttyS0 ember.test=$1" >"$tmp"
  status=$?
  out=$(cat "$tmp")
}

expect() { # name wanted-status actual-status output pattern...
  local name=$1 want=$2 got=$3 out=$4; shift 4
  local ok=1
  [ "$got" = "$want" ] || ok=0
  for p in "$@"; do grep -qxE -- "$p" <<<"$out" || ok=0; done
  if [ $ok = 1 ]; then echo "ok   $name"; else
    echo "FAIL $name (status $got, wanted $want)"; sed 's/^/     | /' <<<"$out"; failed=1; fi
}

boot hello 1 30 </dev/null; expect hello 1 $status "$out" 'Hello from the Ember test guest' 'EMBER-TEST: PASS hello'
boot fail 1 30 </dev/null; expect fail 7 $status "$out" 'EMBER-TEST: FAIL fail: deliberate failure'
boot nosuch 1 30 </dev/null; expect unknown 5 $status "$out" 'EMBER-TEST: FAIL nosuch: unknown scenario'
boot bootinfo 1 30 </dev/null; expect bootinfo 1 $status "$out" 'cmdline: console=ttyS0 ember.test=bootinfo' \
  'e820: 0x0 0x9fc00 1' 'e820: 0x100000 0x[0-9a-f]+ 1' 'EMBER-TEST: PASS bootinfo'
boot boottimer 1 30 </dev/null; expect boottimer 1 $status "$out" 'boot timer signalled' 'EMBER-TEST: PASS boottimer'
boot reset 1 30 </dev/null; expect reset 0 $status "$out" 'resetting through the i8042'
boot timer 1 30 </dev/null; expect timer 1 $status "$out" 'timer: 5 interrupts at a 10000 us period' 'EMBER-TEST: PASS timer'
for n in 1 2 4; do
  boot smp $n 30 </dev/null; expect "smp ($n cpus)" 1 $status "$out" "mp table: 0x[0-9a-f]+, $n cpus listed" \
    "cpus online: $n" 'EMBER-TEST: PASS smp'
done
boot echo 1 30 < <(sleep 1; printf 'hello\nquit\n'; sleep 5); expect echo 1 $status "$out" \
  'EMBER-TEST: READY echo' 'hello' 'quit' 'EMBER-TEST: PASS echo'
boot idle 1 3.5 </dev/null; expect idle 124 $status "$out" 'EMBER-TEST: READY idle' 'tick 1' 'tick 2'
# blk-bench against QEMU's own virtio-blk (microvm lists virtio-mmio devices on the command line
# when ACPI is off): every phase completes with 8 requests in flight and the stamps read back.
img=$(mktemp)
truncate -s 4M "$img"
timeout 60 qemu-system-x86_64 -M microvm,acpi=off -accel tcg -cpu max -m 128 -nodefaults -no-user-config \
  -display none -monitor none -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=1 \
  -global virtio-mmio.force-legacy=false -drive id=d0,file="$img",format=raw,if=none \
  -device virtio-blk-device,drive=d0 -kernel "$elf" \
  -append "console=ttyS0 ember.test=blk-bench ember.bench.ios=200" </dev/null >"$tmp"
status=$?
rm -f "$img"
expect blk-bench 1 $status "$(cat "$tmp")" 'BENCH-END calib' 'BENCH-END seq-write' \
  'bench: seq-read 4 requests 4194304 bytes qd 8 .*' 'bench: rand-read 200 requests 819200 bytes qd 8 .*' \
  'bench: rand-write 200 requests 819200 bytes qd 8 .*' 'EMBER-TEST: PASS blk-bench'
exit $failed
