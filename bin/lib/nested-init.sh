#!/bin/busybox sh
# PID 1 of the nested tier's L1 guest (bin/nested-kvm builds it into a busybox initramfs).
# It mounts the host's root read-only over virtio-9p, makes it a usable root (proc, sys, dev,
# tmpfs for /tmp /run /var/tmp /dev/shm, the share at its host path), loads kvm_amd and runs
# one command in a chroot there, or a shell (ember.mode=shell). The command's stdin, stdout,
# stderr and exit status are files in the control share (/ctl), which the host streams.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

say() { echo "nested-init: $*"; [ -d /ctl ] && echo "$*" >> /ctl/init.log; }
fail() {
  say "error: $*"
  [ -d /ctl ] && echo "$*" > /ctl/error
  sync
  poweroff -f
}

while read -r m; do
  insmod "/modules/$m" || fail "cannot load $m (see the L1 console)"
done < /modules/order

p9="trans=virtio,version=9p2000.L,msize=512000"
mkdir -p /ctl /root
mount -t 9p -o "$p9,cache=none" ctl /ctl || fail "cannot mount the control share"
mount -t 9p -o "$p9,ro,cache=loose" hostroot /root || fail "cannot mount the host's root over 9p"

share= mode=run cgroups=unified
for arg in $(cat /proc/cmdline); do
  case $arg in
    ember.share=*) share=${arg#ember.share=} ;;
    ember.mode=*) mode=${arg#ember.mode=} ;;
    ember.cgroups=*) cgroups=${arg#ember.cgroups=} ;;
  esac
done

R=/root
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
# The host's cgroup layout (bin/nested-kvm passes it): cgroup2 alone at /sys/fs/cgroup, or the
# hybrid one, v1 controllers under a tmpfs and cgroup2 at unified/ (systemd's "hybrid").
if [ "$cgroups" = hybrid ]; then
  mount -t tmpfs -o mode=755 cgroup $R/sys/fs/cgroup
  for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
    mkdir -p $R/sys/fs/cgroup/$c
    mount -t cgroup -o $c cgroup $R/sys/fs/cgroup/$c 2>/dev/null || rmdir $R/sys/fs/cgroup/$c
  done
  mkdir -p $R/sys/fs/cgroup/unified
  mount -t cgroup2 cgroup2 $R/sys/fs/cgroup/unified 2>/dev/null
else
  mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
fi
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts
ln -sf pts/ptmx $R/dev/ptmx
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
# Fresh tmpfs on /tmp, /run and /var/tmp, except for the host directories listed in
# /ctl/keep (the repository may live under /tmp, as a CI clone does): bound aside first, then
# back at their paths on the new tmpfs.
n=0
while IFS= read -r k; do
  [ -n "$k" ] && [ -d "$R$k" ] || continue
  n=$((n + 1)); mkdir -p /keep/$n; mount --bind "$R$k" /keep/$n
done < /ctl/keep
for d in /tmp /run /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs $R$d; done
n=0
while IFS= read -r k; do
  [ -n "$k" ] && [ -d "/keep/$((n + 1))" ] || continue
  n=$((n + 1)); mkdir -p "$R$k"; mount --bind /keep/$n "$R$k"
done < /ctl/keep
mkdir -p $R/run/lock $R/run/netns
mkdir -p $R/run/ember-nested-ctl && mount --bind /ctl $R/run/ember-nested-ctl
ln -sf /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin
ln -sf /proc/self/fd/1 $R/dev/stdout
ln -sf /proc/self/fd/2 $R/dev/stderr
if [ -n "$share" ]; then
  # The host made the share's directory, so its mount point exists in the read-only root
  # unless it lies under one of the tmpfs just mounted.
  mkdir -p "$R$share" 2>/dev/null
  mount -t 9p -o "$p9,cache=none" share "$R$share" || fail "cannot mount the share at $share"
fi
hostname ember-l1
# Mounts propagate as on a systemd host, where / is shared: a bind mount made on the host side
# after a jail exists reaches the jail's mount namespace (the jailer makes its mounts slaves), as
# an orchestrator's hot-plug of a drive relies on (OrchestratorFlowIT's PATCH /drives).
chroot $R /bin/mount --make-rshared / 2>>/ctl/init.log

chroot $R /sbin/modprobe kvm_amd 2>>/ctl/init.log || fail "kvm_amd did not load in L1: $(dmesg | grep -i -e svm -e kvm | tail -n 3)"
[ -c $R/dev/kvm ] || fail "kvm_amd loaded but /dev/kvm is missing: $(dmesg | grep -i kvm | tail -n 3)"
# The Linux tests' networking (TAP devices, namespaces, veth pairs) needs these.
for m in tun veth; do chroot $R /sbin/modprobe $m 2>>/ctl/init.log; done
ip link set lo up
say "ready: $(cat /proc/uptime | cut -d' ' -f1) s after L1 boot, $(grep -c ^processor /proc/cpuinfo) CPUs, kvm_amd nested=$(cat /sys/module/kvm_amd/parameters/nested)"

if [ "$mode" = shell ]; then
  echo "nested-kvm: L1 shell (host root read-only at /, share at ${share:-none}); exit or Ctrl-D ends it, Ctrl-A x kills QEMU"
  setsid cttyhack chroot $R /bin/bash -c "cd '$(cat /ctl/cwd)' 2>/dev/null; exec /bin/bash -i"
  echo $? > /ctl/status
else
  # A pipe, not the file itself: programs that poll their stdin (bin/ember's console) cannot
  # watch a regular file with epoll.
  # A heartbeat for the host: when L1 stops answering, its age tells a frozen L1 (stale) from a
  # stuck command in a live one (fresh). bin/nested-kvm prints it when it stops L1.
  ( while :; do
      echo "L1 up $(cut -d' ' -f1 /proc/uptime) s, load $(cut -d' ' -f1-3 /proc/loadavg)" > /ctl/heartbeat.tmp
      mv /ctl/heartbeat.tmp /ctl/heartbeat
      sleep 10
    done ) &
  cat /ctl/stdin | chroot $R /bin/bash /run/ember-nested-ctl/cmd > /ctl/stdout 2> /ctl/stderr
  echo $? > /ctl/status.tmp && mv /ctl/status.tmp /ctl/status
fi
sync
poweroff -f
