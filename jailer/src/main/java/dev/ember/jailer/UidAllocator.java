package dev.ember.jailer;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * A fresh uid (and the gid of the same number) for a VM that was given none, so that no two VMs
 * share an identity: one VM's VMM cannot signal, ptrace, prlimit or open the files of another.
 *
 * <p>The id is the lowest of the {@link UidRange} that no jail root under the chroot base is owned
 * by (user or group), no process on the host runs as (real, effective, saved or file-system uid
 * or gid) and no {@code /etc/passwd} or {@code /etc/group} entry names. The choice is made under
 * an exclusive lock on {@code <chroot-base>/.uid.lock}, and the caller keeps the lock until it has
 * given the jail root to the id, which is what marks the id taken for the next jailer: jailers
 * sharing a chroot base never pick the same id. The id is free again once the jail root is gone
 * (ember-launch --stop, or an orchestrator's clean-up), not merely when the VMM ends.
 */
final class UidAllocator implements AutoCloseable {
    static final String LOCK_FILE = ".uid.lock";

    private final FileChannel lock;
    private final int id;

    private UidAllocator(FileChannel lock, int id) {
        this.lock = lock;
        this.id = id;
    }

    int id() {
        return id;
    }

    /** Takes the lock (waiting for another jailer), then picks the id. */
    static UidAllocator allocate(Path chrootBase, UidRange range) {
        Path lockPath = chrootBase.resolve(LOCK_FILE);
        FileChannel ch;
        try {
            ch = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new JailerException("cannot open " + lockPath + " to allocate the VM's uid: " + Cgroups.reason(e), e);
        }
        try {
            Sys.check(Sys.chmod(lockPath.toString(), 0600), "chmod 600 " + lockPath);
            ch.lock();
            Set<Long> taken = taken(chrootBase);
            for (long id = range.first(); id <= range.last(); id++) {
                if (!taken.contains(id)) {
                    return new UidAllocator(ch, (int) id);
                }
            }
            throw new JailerException("--uid-range " + range + ": all " + range.size() + " ids are in use (by jails under " + chrootBase
                    + ", processes or /etc/passwd and /etc/group); stop VMs, remove old jails or give a larger --uid-range");
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            if (e instanceof JailerException je) {
                throw je;
            }
            throw new JailerException("allocating the VM's uid under " + lockPath + " failed: " + e, e);
        }
    }

    /** Every id in use: jail owners, process credentials, passwd and group entries. */
    static Set<Long> taken(Path chrootBase) throws IOException {
        Set<Long> ids = new HashSet<>();
        // <base>/<exec-file name>/<id>/root of every jail, whatever its exec file.
        try (DirectoryStream<Path> execs = Files.newDirectoryStream(chrootBase, Files::isDirectory)) {
            for (Path exec : execs) {
                try (DirectoryStream<Path> jails = Files.newDirectoryStream(exec, Files::isDirectory)) {
                    for (Path jail : jails) {
                        Path root = jail.resolve("root");
                        if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
                            ids.add(((Number) Files.getAttribute(root, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue());
                            ids.add(((Number) Files.getAttribute(root, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue());
                        }
                    }
                }
            }
        }
        // Every process's status: ~100 files at each start, read and scanned by hand (the jailer
        // runs interpreted: a line list and two regular expressions per process cost ~40 ms).
        byte[] buf = new byte[STATUS_PREFIX_BYTES];
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path proc : procs) {
                String pid = proc.getFileName().toString();
                if (!isDecimal(pid, Integer.MAX_VALUE)) {
                    continue;
                }
                try (FileInputStream in = new FileInputStream("/proc/" + pid + "/status")) {
                    int n = in.readNBytes(buf, 0, buf.length);
                    if (!addStatusIds(buf, n, ids)) {
                        // The Uid and Gid lines lie further in (a very long name): the whole file then.
                        byte[] all = Files.readAllBytes(proc.resolve("status"));
                        addStatusIds(all, all.length, ids);
                    }
                } catch (IOException e) {
                    continue;   // ended meanwhile
                }
            }
        }
        for (Path db : new Path[] {Path.of("/etc/passwd"), Path.of("/etc/group")}) {
            if (Files.isReadable(db)) {
                for (String line : Files.readAllLines(db)) {
                    String[] f = line.split(":");
                    if (f.length > 2 && isDecimal(f[2], 10)) {
                        ids.add(Long.parseLong(f[2]));
                    }
                }
            }
        }
        return ids;
    }

    /** How much of /proc/PID/status is read first: its Uid and Gid lines come within the first ten. */
    static final int STATUS_PREFIX_BYTES = 512;

    /**
     * Adds the numbers of the "Uid:" and "Gid:" lines (real, effective, saved, file-system) of a
     * /proc/PID/status held in {@code b[0..n)}; false when either line is not there complete.
     */
    static boolean addStatusIds(byte[] b, int n, Set<Long> ids) {
        int found = 0;
        int line = 0;
        while (line < n && found < 2) {
            int end = line;
            while (end < n && b[end] != '\n') {
                end++;
            }
            if (end == n) {
                return false;   // cut off: the line may go on
            }
            if (end - line > 4 && (b[line] == 'U' || b[line] == 'G') && b[line + 1] == 'i' && b[line + 2] == 'd' && b[line + 3] == ':') {
                long v = -1;
                for (int i = line + 4; i <= end; i++) {
                    byte c = i < end ? b[i] : (byte) ' ';
                    if (c >= '0' && c <= '9') {
                        v = (v < 0 ? 0 : v * 10) + (c - '0');
                    } else if (v >= 0) {
                        ids.add(v);
                        v = -1;
                    }
                }
                found++;
            }
            line = end + 1;
        }
        return found == 2;
    }

    /** 1 to {@code maxDigits} ASCII digits (what "\\d{1,maxDigits}" matched). */
    static boolean isDecimal(String s, int maxDigits) {
        if (s.isEmpty() || s.length() > maxDigits) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Releases the lock: the jail root belongs to the id now. */
    @Override
    public void close() {
        closeQuietly(lock);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing releases the lock; nothing else to do
        }
    }
}
