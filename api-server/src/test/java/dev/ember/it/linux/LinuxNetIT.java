package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.it.EmberProcess;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Linux on Ember's virtio-net: a TAP device in a private network namespace with dnsmasq serving
 * DHCP on it ({@link DhcpNetwork}). Slow: {@code -Dember.slow=true}. On PVM the kernel's own DHCP
 * client (ip=dhcp) and the kernel's answer to a ping are checked; the user-space part is
 * skipped there.
 */
class LinuxNetIT extends LinuxTest {
    @BeforeEach
    void networking() {
        String why = DhcpNetwork.unavailableReason();
        assumeTrue(why == null, why);
    }

    private static String[] bootArgs(Path cfg) {
        return new String[] {"--no-api", "--config-file", cfg.toString()};
    }

    @Test
    void pvmProfileKernelGetsItsAddressFromDnsmasqOverVirtioNetAndAnswersPing() throws Exception {
        try (DhcpNetwork net = DhcpNetwork.start(dir)) {
            // No initrd: the kernel configures eth0 before it looks for a root filesystem. The
            // root device never appears, so with rootwait the kernel keeps waiting (instead of
            // panicking and rebooting) and its network stack stays up to answer the ping.
            Path cfg = new LinuxVmConfig(LinuxImages.pvmVmlinux(), LinuxImages.pvmCmdline() + " ip=dhcp root=/dev/vdz rootwait")
                    .machine(1, 64)
                    .network(DhcpNetwork.TAP, DhcpNetwork.GUEST_MAC)
                    .write(dir, "pvm-dhcp");
            try (EmberProcess vm = EmberProcess.startVia(net.wrapper(), bootArgs(cfg))) {
                LinuxTests.awaitConsole(vm, "IP-Config: Got DHCP answer from " + DhcpNetwork.HOST_IP.replace(".", "\\.")
                        + ", my address is " + DhcpNetwork.GUEST_IP.replace(".", "\\."), LinuxTests.bootTimeout());
                LinuxTests.awaitConsole(vm, "device=eth0, hwaddr=" + DhcpNetwork.GUEST_MAC, LinuxTests.bootTimeout());
                // The guest kernel answers ARP and ICMP by itself, no user space needed.
                assertTrue(net.hostPings(DhcpNetwork.GUEST_IP), "ICMP echo answered by the guest\n" + vm.describe());
                vm.terminate();
                vm.awaitExit(java.time.Duration.ofSeconds(30));
            }
            String log = net.dnsmasqOutput();
            assertTrue(log.contains("DHCPACK(" + DhcpNetwork.TAP + ") " + DhcpNetwork.GUEST_IP + " " + DhcpNetwork.GUEST_MAC),
                    "dnsmasq acknowledged the lease\n" + log);
        }
    }

    @Test
    @GuestUserSpace
    void guestConfiguredByDhcpReachesTheHostSide() throws Exception {
        LinuxTests.assumeGuestUserSpaceRuns();
        try (DhcpNetwork net = DhcpNetwork.start(dir)) {
            Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE
                    + " ip=dhcp ember.cmd=\"ip -4 addr show eth0 && ping -c 1 -W 5 " + DhcpNetwork.HOST_IP + "\"")
                    .initrd(LinuxImages.initramfs())
                    .network(DhcpNetwork.TAP, DhcpNetwork.GUEST_MAC)
                    .write(dir, "dhcp");
            try (EmberProcess vm = EmberProcess.startVia(net.wrapper(), bootArgs(cfg))) {
                assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.bootTimeout()), vm.describe());
                String out = vm.stdout();
                assertTrue(out.contains("inet " + DhcpNetwork.GUEST_IP + "/24"), "eth0 has the leased address\n" + vm.describe());
                assertTrue(out.contains("1 packets transmitted, 1 packets received"), "the host side answered\n" + vm.describe());
                assertTrue(out.contains("EMBER-INIT: exit 0"), vm.describe());
            }
        }
    }
}
