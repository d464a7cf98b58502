package dev.ember.api;

import dev.ember.app.MicroVm;
import dev.ember.app.VmmException;
import dev.ember.config.BalloonConfig;
import dev.ember.config.BalloonStats;
import dev.ember.config.DriveConfig;
import dev.ember.config.NetworkInterfaceConfig;
import dev.ember.config.VmResources;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Test double of the composition root: keeps Firecracker's state machine and records what it
 * was asked, so API tests can assert on the calls. Used in tests only.
 */
public final class FakeVmm implements MicroVm {
    /** When set, PATCH /balloon is refused by the "device" with this message. */
    public volatile String balloonRefuses;
    public final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    public volatile State state = State.NOT_STARTED;
    public volatile String failStartWith;
    /** When set, PATCH /drives fails in the "device" with this message. */
    public volatile String failDriveUpdateWith;
    public volatile VmResources startedWith;
    /** When set, start() waits for it (after recording "start"): a controller thread kept busy. */
    public volatile CountDownLatch startGate;
    /** Counted down by {@link #configurationBegan}. */
    public final CountDownLatch configurationBegan = new CountDownLatch(1);
    private final CountDownLatch exited = new CountDownLatch(1);
    private volatile int exitCode;

    @Override
    public State state() {
        return state;
    }

    @Override
    public void configurationBegan() {
        configurationBegan.countDown();
    }

    @Override
    public void start(VmResources resources) throws VmmException {
        calls.add("start");
        CountDownLatch gate = startGate;
        if (gate != null) {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmmException("interrupted while held at the start gate");
            }
        }
        if (failStartWith != null) {
            throw new VmmException(failStartWith);
        }
        startedWith = resources;
        state = State.RUNNING;
    }

    @Override
    public void pause() {
        calls.add("pause");
        state = State.PAUSED;
    }

    @Override
    public void resume() {
        calls.add("resume");
        state = State.RUNNING;
    }

    @Override
    public void sendCtrlAltDel() {
        calls.add("ctrl-alt-del");
        end(0);
    }

    @Override
    public void updateDrive(DriveConfig drive, boolean reopenFile) throws VmmException {
        if (failDriveUpdateWith != null) {
            throw new VmmException(failDriveUpdateWith);
        }
        calls.add("drive " + drive.driveId() + " " + drive.pathOnHost() + (reopenFile ? " reopen" : ""));
    }

    @Override
    public void updatePmemRateLimiter(dev.ember.config.PmemConfig pmem) {
        calls.add("pmem " + pmem.id());
    }

    @Override
    public void updateNetworkRateLimiters(NetworkInterfaceConfig iface) {
        calls.add("net " + iface.ifaceId());
    }

    @Override
    public void updateBalloon(BalloonConfig balloon) throws dev.ember.app.VmmException {
        if (balloonRefuses != null) {
            throw new dev.ember.app.VmmException(balloonRefuses);
        }
        calls.add("balloon " + balloon.amountMib());
    }

    @Override
    public void updateBalloonStatistics(BalloonConfig balloon) {
        calls.add("balloon-stats " + balloon.statsPollingIntervalS());
    }

    @Override
    public BalloonStats balloonStatistics() {
        return new BalloonStats(256, 128, 1, 0, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    @Override
    public void startBalloonHinting(boolean acknowledgeOnStop) {
        calls.add("balloon-hinting-start " + acknowledgeOnStop);
    }

    @Override
    public void stopBalloonHinting() {
        calls.add("balloon-hinting-stop");
    }

    @Override
    public dev.ember.config.BalloonHintingStatus balloonHintingStatus() {
        return new dev.ember.config.BalloonHintingStatus(2, 2L);
    }

    @Override
    public void updateMemoryHotplug(long requestedSizeMib) {
        calls.add("hotplug " + requestedSizeMib);
    }

    @Override
    public dev.ember.config.MemoryHotplugStatus memoryHotplugStatus() {
        return new dev.ember.config.MemoryHotplugStatus(1024, 2, 128, 256, 512);
    }

    public void end(int code) {
        exitCode = code;
        exited.countDown();
    }

    @Override
    public int awaitExit() throws InterruptedException {
        exited.await();
        return exitCode;
    }

    @Override
    public void shutdown() {
        calls.add("shutdown");
        end(0);
    }
}
