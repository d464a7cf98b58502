package dev.ember.jailer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where the cgroups go, worked out from a /proc/mounts and /proc/self/cgroup text. */
class CgroupsPlanTest {
    private static final List<MountTable.Mount> HYBRID = MountTable.parse(List.of(
            "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0",
            "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0",
            "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0",
            "cgroup /sys/fs/cgroup/cpuset cgroup rw,relatime,cpuset 0 0",
            "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0",
            "/dev/vda /mnt/with\\040space ext4 rw 0 0"));
    private static final List<String> SELF = List.of("4:memory:/process_api/abc", "3:cpuset:/", "1:cpu,cpuacct:/", "0::/user.slice");

    private static JailConfig config(int version, String... cgroups) {
        return new JailConfig("vm1", new RuntimeImage(Path.of("/img"), Path.of("/img/bin/ember")), 1, 1, UidRange.DEFAULT, Path.of("/srv/jailer"), null,
                false, false, version, java.util.Arrays.stream(cgroups).map(CgroupSetting::parse).toList(), "ember", List.of(),
                "dev.ember.cli.Main", List.of());
    }

    @Test
    void mountPathsAreUnescaped() {
        assertEquals(Path.of("/mnt/with space"), HYBRID.get(5).mountPoint());
    }

    @Test
    void v1PutsOneCgroupInEachHierarchyASettingNames() {
        Cgroups c = Cgroups.plan(config(1, "memory.limit_in_bytes=1G", "cpu.shares=512", "cpuacct.usage=0", "memory.swappiness=0"), HYBRID, SELF);
        assertEquals(2, c.placements().size());
        Cgroups.Placement mem = c.placements().get(0);
        assertEquals(Path.of("/sys/fs/cgroup/memory/ember/vm1"), mem.dir());
        assertEquals(List.of("memory.limit_in_bytes", "memory.swappiness"), mem.settings().stream().map(CgroupSetting::file).toList());
        assertEquals("/process_api/abc", mem.originalPath());
        Cgroups.Placement cpu = c.placements().get(1);
        assertEquals(Path.of("/sys/fs/cgroup/cpu,cpuacct/ember/vm1"), cpu.dir());
        assertEquals(Set.of("cpu", "cpuacct"), cpu.controllers());
        assertEquals(2, cpu.settings().size());
    }

    @Test
    void v2UsesTheUnifiedHierarchyAndNeedsItsControllers() {
        Cgroups c = Cgroups.plan(config(2, "memory.max=1G", "cgroup.max.descendants=3", "pids.max=100"), HYBRID, SELF);
        assertEquals(1, c.placements().size());
        Cgroups.Placement p = c.placements().get(0);
        assertEquals(Path.of("/sys/fs/cgroup/unified/ember/vm1"), p.dir());
        assertEquals(Set.of("memory", "pids"), p.controllers());
        assertEquals("/user.slice", p.originalPath());
    }

    @Test
    void aControllerWithNoV1HierarchyIsNamed() {
        JailerException e = assertThrows(JailerException.class, () -> Cgroups.plan(config(1, "pids.max=10"), HYBRID, SELF));
        assertTrue(e.getMessage().startsWith("--cgroup pids.max=10: no cgroup v1 hierarchy has the pids controller mounted"), e.getMessage());
    }

    @Test
    void noSettingsNoCgroup() {
        assertTrue(Cgroups.plan(config(2), HYBRID, SELF).placements().isEmpty());
    }
}
