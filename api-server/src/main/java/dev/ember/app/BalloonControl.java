package dev.ember.app;

import dev.ember.config.BalloonHintingStatus;
import dev.ember.config.BalloonStats;
import dev.ember.devices.virtio.balloon.BalloonException;
import dev.ember.devices.virtio.balloon.BalloonStatistics;
import dev.ember.devices.virtio.balloon.VirtioBalloon;

/**
 * What the API may ask of a running microVM's balloon, with the device's refusals turned into
 * Firecracker's messages. Without a balloon every call answers "No balloon device found.".
 */
final class BalloonControl {
    private final VirtioBalloon device;

    BalloonControl(VirtioBalloon device) {
        this.device = device;
    }

    /** PATCH /balloon: the new target reaches the guest's driver through config space. */
    void setTarget(long amountMib) throws VmmException {
        call(b -> {
            b.setTarget(amountMib);
            return null;
        });
    }

    /** PATCH /balloon/statistics: statistics are requested at the new interval from now on. */
    void setStatisticsInterval(long seconds) throws VmmException {
        call(b -> {
            b.setStatsInterval(seconds);
            return null;
        });
    }

    /** GET /balloon/statistics: the target and actual sizes and the guest's latest report. */
    BalloonStats statistics() throws VmmException {
        return call(b -> statistics(b.targetPages(), b.actualPages(), b.statistics()));
    }

    /** The response for the device's sizes in pages and the guest's last report, each tag under Firecracker's name. */
    static BalloonStats statistics(long target, long actual, BalloonStatistics.Snapshot s) {
        return new BalloonStats(target, actual, target / VirtioBalloon.PAGES_PER_MIB, actual / VirtioBalloon.PAGES_PER_MIB,
                s.value(BalloonStatistics.SWAP_IN), s.value(BalloonStatistics.SWAP_OUT), s.value(BalloonStatistics.MAJFLT),
                s.value(BalloonStatistics.MINFLT), s.value(BalloonStatistics.MEMFREE), s.value(BalloonStatistics.MEMTOT),
                s.value(BalloonStatistics.AVAIL), s.value(BalloonStatistics.CACHES), s.value(BalloonStatistics.HTLB_PGALLOC),
                s.value(BalloonStatistics.HTLB_PGFAIL), s.value(BalloonStatistics.OOM_KILL), s.value(BalloonStatistics.ALLOC_STALL),
                s.value(BalloonStatistics.ASYNC_SCAN), s.value(BalloonStatistics.DIRECT_SCAN),
                s.value(BalloonStatistics.ASYNC_RECLAIM), s.value(BalloonStatistics.DIRECT_RECLAIM));
    }

    /** PATCH /balloon/hinting/start: a new run's command id reaches the guest through config space. */
    void startHinting(boolean acknowledgeOnStop) throws VmmException {
        call(b -> {
            b.startHinting(acknowledgeOnStop);
            return null;
        });
    }

    /** PATCH /balloon/hinting/stop: DONE, the guest may reuse the pages it hinted. */
    void stopHinting() throws VmmException {
        call(b -> {
            b.stopHinting();
            return null;
        });
    }

    /** GET /balloon/hinting/status. */
    BalloonHintingStatus hintingStatus() throws VmmException {
        return call(b -> {
            long[] s = b.hintingStatus();
            return new BalloonHintingStatus(s[0], s[1] < 0 ? null : s[1]);
        });
    }

    private interface Call<T> {
        T on(VirtioBalloon b);
    }

    private <T> T call(Call<T> c) throws VmmException {
        if (device == null) {
            throw new VmmException("No balloon device found. (configure one with PUT /balloon before boot)");
        }
        try {
            return c.on(device);
        } catch (BalloonException e) {
            throw new VmmException(switch ((BalloonException.Reason) e.reason()) {
                case NOT_ACTIVATED -> "Device not activated yet. (the guest's balloon driver has not started yet;"
                        + " retry once the guest has booted)";
                case STATISTICS_DISABLED -> "Statistics for the balloon device are not enabled. (set stats_polling_interval_s"
                        + " with PUT /balloon before boot)";
                case HINTING_DISABLED -> "Free page hinting is not enabled. (set free_page_hinting with PUT /balloon before boot)";
                case TOO_MANY_PAGES -> "Amount of pages requested is too large. (" + e.getMessage() + ")";
            });
        }
    }
}
