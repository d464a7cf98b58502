package dev.ember.app;

import dev.ember.eventloop.EventLoop;
import dev.ember.pci.PciRootComplex;
import dev.ember.sys.Termios;
import dev.ember.uffd.UffdBackend;
import dev.ember.vm.Vm;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Everything one microVM consists of: built by {@link MachineBuilder} (for a start) or with it by
 * {@link SnapshotLoader}, then owned by {@link KvmMicroVm} until it ends.
 */
final class Machine {
    final Vm vm;
    final EventLoop loop;
    dev.ember.devices.legacy.I8042Device i8042;
    dev.ember.devices.legacy.Serial8250 serial;
    VirtioDevices virtio;
    /** The PCI root complex with --enable-pci (VirtioDevices attaches functions to it), else null. */
    PciRootComplex pci;
    Termios terminal;
    int serialOutFd = -1;
    /** Set while a snapshot that read the dirty page logs has not completed: a Diff would miss pages. */
    boolean dirtyLogLost;
    /** The Uffd memory backend's handshake and watch, for a VM loaded that way; else null. */
    UffdBackend uffd;
    /** The kernel image a boot loaded (a snapshot load has none). */
    Path kernel;

    Machine(Vm vm, EventLoop loop) {
        this.vm = vm;
        this.loop = loop;
    }

    /** Runs {@code task} on the machine's event loop and waits for it; its exceptions are rethrown here. */
    void runOnLoop(Runnable task) throws VmmException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                task.run();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        try {
            done.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new VmmException(String.valueOf(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while waiting for the event loop");
        }
    }

    void close() {
        loop.close();
        if (virtio != null) {
            virtio.close(); // after the loop stopped: no handler runs on a closed file or TAP
        }
        vm.close();
        if (uffd != null) {
            uffd.close(); // after guest memory is unmapped: the handler ends when the connection closes
        }
        if (terminal != null) {
            terminal.close();
        }
    }
}
