package dev.ember.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MsixCapabilityTest {
    /** Records what reaches the interrupt sink. */
    static final class RecordingVectors implements MsiVectors {
        final List<String> events = new ArrayList<>();
        private final int count;

        RecordingVectors(int count) {
            this.count = count;
        }

        @Override
        public int count() {
            return count;
        }

        @Override
        public void route(int vector, long address, int data) {
            events.add(String.format("route %d 0x%x 0x%x", vector, address, data));
        }

        @Override
        public boolean signal(int vector) {
            events.add("signal " + vector);
            return true;
        }
    }

    private final PciConfigSpace cs = new PciConfigSpace(0x1af4, 0x1041, 0x020000, 1);
    private final RecordingVectors sink = new RecordingVectors(3);
    private final MsixCapability msix = new MsixCapability(cs, sink, 1, 0x2000, 1, 0x3000);
    private final int cap = msix.capabilityOffset();

    private void enable(boolean functionMask) {
        cs.write(cap + 2, 2, MsixCapability.CONTROL_ENABLE | (functionMask ? MsixCapability.CONTROL_FUNCTION_MASK : 0));
    }

    private void program(int vector, long address, int data) {
        msix.tableHandler().write(vector * 16L, 4, address & 0xffff_ffffL);
        msix.tableHandler().write(vector * 16L + 4, 4, address >>> 32);
        msix.tableHandler().write(vector * 16L + 8, 4, data & 0xffff_ffffL);
    }

    private void unmask(int vector) {
        msix.tableHandler().write(vector * 16L + 12, 4, 0);
    }

    @Test
    void capabilityAdvertisesTableSizeAndWhereTableAndPbaLive() {
        assertEquals(PciConfigSpace.CAP_ID_MSIX, cs.read(cap, 1));
        assertEquals(2, cs.read(cap + 2, 2));
        assertEquals(0x2001, cs.read(cap + 4, 4));
        assertEquals(0x3001, cs.read(cap + 8, 4));
        cs.write(cap + 2, 2, 0xffff);
        assertEquals(0xc002, cs.read(cap + 2, 2), "only Enable and Function Mask are writable");
        assertEquals(48, msix.tableSize());
        assertEquals(8, msix.pbaSize());
    }

    @Test
    void vectorsStartMaskedAndTheTableReadsBackWhatWasWritten() {
        assertEquals(1, msix.tableHandler().read(12, 4));
        program(1, 0xfee0_1000L, 0x4041);
        assertEquals(0xfee0_1000L, msix.tableHandler().read(16, 4));
        assertEquals(0x4041, msix.tableHandler().read(24, 4));
        assertEquals(0xfee0_1000L, msix.tableHandler().read(16, 8));
        msix.tableHandler().write(28, 4, 0xffff_fffeL);
        assertEquals(0, msix.tableHandler().read(28, 4), "vector control keeps only the mask bit");
    }

    @Test
    void anUnmaskedVectorIsRoutedOnceThenSignalledDirectly() {
        enable(false);
        program(0, 0xfee0_0000L, 0x31);
        assertEquals(List.of(), sink.events, "no route while the vector is masked");
        unmask(0);
        assertTrue(msix.signal(0));
        assertTrue(msix.signal(0));
        assertEquals(List.of("route 0 0xfee00000 0x31", "signal 0", "signal 0"), sink.events);
    }

    @Test
    void aMaskedVectorIsLeftPendingAndDeliveredWhenUnmasked() {
        enable(false);
        program(2, 0xfee0_0000L, 0x22);
        assertTrue(msix.signal(2));
        assertTrue(msix.isPending(2));
        assertEquals(1L << 2, msix.pbaHandler().read(0, 8));
        assertEquals(List.of(), sink.events);
        unmask(2);
        assertFalse(msix.isPending(2));
        assertEquals(0, msix.pbaHandler().read(0, 4));
        assertEquals(List.of("route 2 0xfee00000 0x22", "signal 2"), sink.events);
    }

    @Test
    void theFunctionMaskHoldsEveryVectorUntilCleared() {
        enable(true);
        program(0, 0xfee0_0000L, 0x30);
        unmask(0);
        assertTrue(msix.signal(0));
        assertTrue(msix.isPending(0));
        assertEquals(List.of(), sink.events);
        enable(false);
        assertEquals(List.of("route 0 0xfee00000 0x30", "signal 0"), sink.events);
    }

    @Test
    void nothingIsDeliveredWhileMsixIsDisabled() {
        program(0, 0xfee0_0000L, 0x30);
        unmask(0);
        assertFalse(msix.signal(0));
        assertFalse(msix.isPending(0));
        assertFalse(msix.signal(7), "no such vector");
        assertEquals(List.of(), sink.events);
    }

    @Test
    void changingAnUnmaskedEntryRoutesItAgain() {
        enable(false);
        program(0, 0xfee0_0000L, 0x30);
        unmask(0);
        msix.tableHandler().write(8, 4, 0x31);
        msix.tableHandler().write(8, 4, 0x31);
        assertEquals(List.of("route 0 0xfee00000 0x30", "route 0 0xfee00000 0x31"), sink.events);
    }

    @Test
    void badTableAccessesReadAllOnesAndChangeNothing() {
        assertEquals(0xffff_ffffL, msix.tableHandler().read(2, 4));
        assertEquals(0xffff_ffffL, msix.tableHandler().read(48, 4));
        assertEquals(0xffffL, msix.tableHandler().read(0, 2));
        msix.tableHandler().write(48, 4, 0);
        msix.pbaHandler().write(0, 8, -1L);
        assertEquals(0, msix.pbaHandler().read(0, 8));
    }

    @Test
    void aRestoredFunctionRoutesItsUnmaskedVectorsAgainAndDeliversPendingOnes() {
        enable(false);
        program(1, 0xfee0_2000L, 0x41);
        unmask(1);
        program(0, 0xfee0_0000L, 0x40);
        msix.signal(0);
        PciConfigSpace cs2 = new PciConfigSpace(0x1af4, 0x1041, 0x020000, 1);
        RecordingVectors sink2 = new RecordingVectors(3);
        MsixCapability restored = new MsixCapability(cs2, sink2, 1, 0x2000, 1, 0x3000);
        cs2.restoreBytes(cs.saveBytes());
        restored.restore(msix.saveTable(), msix.savePending());
        assertEquals(List.of("route 1 0xfee02000 0x41"), sink2.events);
        assertTrue(restored.isPending(0));
        restored.tableHandler().write(12, 4, 0);
        assertEquals(List.of("route 1 0xfee02000 0x41", "route 0 0xfee00000 0x40", "signal 0"), sink2.events);
    }
}
