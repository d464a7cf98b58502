package dev.ember.app;

import dev.ember.config.ConfigException;
import dev.ember.config.VmConfigFile;
import dev.ember.config.VmResources;
import dev.ember.snapshot.StateFile;
import dev.ember.snapshot.StateReader;
import dev.ember.snapshot.StateSections;
import dev.ember.snapshot.StateWriter;
import java.nio.charset.StandardCharsets;

/**
 * The first, pure-Java steps of a snapshot load, run once on a made-up snapshot while the VMM
 * has been idle since it became ready ({@link KvmMicroVm#prepare}): the state file decoded and
 * checked, a section read back, the recorded configuration applied without databind. The first
 * run of that code in a process cost a settled load ~5 ms (classes loaded from the jars, lambdas
 * spun, call sites resolved, all interpreted). Run here, it costs nothing a client waits for; and
 * because the AOT training run idles long enough for it (bin/train-aot), its classes and call
 * sites are in the cache of every process, which helps a load sent before this ran too.
 */
final class LoadAhead {
    /** How long the VMM must have been idle after becoming ready: a client that configures or loads at once never waits for this. */
    static final long IDLE_MILLIS = 200;

    /** A recorded configuration as a snapshot of an idle microVM holds it (Snapshots.recordConfig). */
    static final String RECORDED_CONFIG = "{\"boot-source\":{\"kernel_image_path\":\"/load-ahead/vmlinux\",\"boot_args\":\"console=ttyS0\",\"initrd_path\":null},"
            + "\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":128,\"smt\":false,\"track_dirty_pages\":false,\"huge_pages\":\"None\"},"
            + "\"drives\":[],\"network-interfaces\":[],\"pmem\":[]}";

    private LoadAhead() {}

    /** Runs the steps; true when the configuration was applied streamed, as a real load's is. */
    static boolean run() {
        StateSections made = new StateSections();
        made.put(Snapshots.CONFIG, RECORDED_CONFIG.getBytes(StandardCharsets.UTF_8));
        made.put(Snapshots.SERIAL, new StateWriter().u8(0).bool(false).i32(0).i64(0).bytes(new byte[8]).toByteArray());
        StateSections sections = new StateSections("load-ahead", StateFile.decode("load-ahead", StateFile.encode(made.asMap())));
        StateReader r = sections.reader(Snapshots.SERIAL);
        r.u8("u8");
        r.bool("bool");
        r.i32("i32");
        r.i64("i64");
        r.bytes("bytes", 8);
        r.end();
        try {
            return VmConfigFile.applyStreamed(sections.get(Snapshots.CONFIG), Snapshots.NOT_RESTORED, new VmResources());
        } catch (ConfigException e) {
            return false;
        }
    }
}
