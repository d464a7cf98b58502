package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.api.UnixHttpClient;
import dev.ember.it.EmberProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The metadata service seen from a Linux guest's user space: busybox wget and nc on eth0
 * (configured by DHCP through the same device, so frames not for the MMDS still reach the
 * TAP), with the route Firecracker's guide tells guests to add. V1 from a config file with
 * {@code --metadata}; V2's token dance and data PATCHed after boot over the API.
 */
@GuestUserSpace
class LinuxMmdsIT extends LinuxTest.UserSpace {
    static final String MMDS = "http://169.254.169.254";
    static final String STORE = "{\"latest\": {\"meta-data\": {\"ami-id\": \"ami-12345678\", \"instance-id\": \"i-0ember\","
            + " \"network\": {\"mac\": \"06:00\"}}}}";
    /** Guest shell fragments: init evaluates the command line with the shell, so {@code \$} defers expansions. */
    static final String ROUTE = "ip route add 169.254.169.254 dev eth0; ";

    @BeforeEach
    void networking() {
        String why = DhcpNetwork.unavailableReason();
        assumeTrue(why == null, why);
    }

    @Test
    void v1AnswersWgetInImdsTextAndJsonWhileOtherTrafficReachesTheTap() throws Exception {
        String cmd = ROUTE
                + "echo MMDS-LIST-BEGIN; wget -qO- " + MMDS + "/latest/meta-data/; echo; echo MMDS-LIST-END; "
                + "echo MMDS-AMI \\$(wget -qO- " + MMDS + "/latest/meta-data/ami-id); "
                + "echo MMDS-JSON \\$(wget -qO- --header 'Accept: application/json' " + MMDS + "/latest/meta-data/instance-id); "
                + "echo MMDS-MISSING \\$(wget -qO- " + MMDS + "/latest/nothing 2>&1); "
                + "ping -c 1 -W 5 " + DhcpNetwork.HOST_IP + " >/dev/null && echo MMDS-TAP-OK; "
                // A figure for the notes, never asserted: 50 sequential wget processes, each a new connection.
                + "a=\\$(cut -d' ' -f1 /proc/uptime); i=0; while [ \\$i -lt 50 ]; do wget -qO- " + MMDS
                + "/latest/meta-data/ami-id >/dev/null; i=\\$((i+1)); done; echo MMDS-50-GETS \\$a \\$(cut -d' ' -f1 /proc/uptime)";
        Path metadata = Files.writeString(dir.resolve("metadata.json"), STORE);
        try (DhcpNetwork net = DhcpNetwork.start(dir)) {
            Path cfg = new LinuxVmConfig(LinuxImages.vmlinux(), LinuxImages.BASE_CMDLINE + " ip=dhcp ember.cmd=\"" + cmd + "\"")
                    .initrd(LinuxImages.initramfs())
                    .network(DhcpNetwork.TAP, DhcpNetwork.GUEST_MAC)
                    .section("mmds-config", "{\"version\": \"V1\", \"network_interfaces\": [\"eth0\"]}")
                    .write(dir, "mmds-v1");
            try (EmberProcess vm = EmberProcess.startVia(net.wrapper(), "--no-api", "--config-file", cfg.toString(),
                    "--metadata", metadata.toString())) {
                assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.bootTimeout()), vm.describe());
                // Kernel messages (clocksource watchdog and the like) may land between our lines.
                String out = vm.stdout().replace("\r", "").replaceAll("(?m)^\\[ *[0-9]+\\.[0-9]+\\] .*\n", "");
                assertTrue(out.contains("MMDS-LIST-BEGIN\nami-id\ninstance-id\nnetwork/\nMMDS-LIST-END"), "IMDS listing\n" + vm.describe());
                assertTrue(out.contains("MMDS-AMI ami-12345678\n"), "a string value as text\n" + vm.describe());
                assertTrue(out.contains("MMDS-JSON \"i-0ember\"\n"), "JSON when asked\n" + vm.describe());
                assertTrue(out.contains("MMDS-MISSING wget: server returned error: HTTP/1.1 404"), "404 for a missing path\n" + vm.describe());
                assertTrue(out.contains("MMDS-TAP-OK"), "frames not for the MMDS went to the TAP\n" + vm.describe());
                Matcher gets = java.util.regex.Pattern.compile("MMDS-50-GETS ([0-9.]+) ([0-9.]+)").matcher(out);
                if (gets.find()) {
                    System.out.printf("LinuxMmdsIT: 50 wget GETs in %.2f s of guest uptime%n",
                            Double.parseDouble(gets.group(2)) - Double.parseDouble(gets.group(1)));
                }
            }
        }
    }

    @Test
    void v2TokenDanceAndDataPatchedAfterBoot() throws Exception {
        String token = "--header \\\"X-metadata-token: \\$T\\\" ";
        String cmd = ROUTE
                + "echo MMDS-NOTOKEN \\$(wget -qO- " + MMDS + "/latest/meta-data/ami-id 2>&1); "
                + "T=\\$(printf 'PUT /latest/api/token HTTP/1.1\\r\\nX-metadata-token-ttl-seconds: 60\\r\\nConnection: close\\r\\n\\r\\n'"
                + " | nc 169.254.169.254 80 | tail -n 1); "
                + "echo MMDS-TOKEN-LENGTH \\${#T}; "
                + "echo MMDS-V2 \\$(wget -qO- " + token + MMDS + "/latest/meta-data/ami-id); "
                + "echo MMDS-WAIT; "
                + "i=0; while [ \\$i -lt 600 ]; do v=\\$(wget -qO- " + token + MMDS + "/latest/meta-data/late 2>/dev/null) && break;"
                + " i=\\$((i+1)); sleep 0.2; done; echo MMDS-LATE \\$v";
        try (DhcpNetwork net = DhcpNetwork.start(dir)) {
            Path sock = dir.resolve("api.sock");
            try (EmberProcess vm = EmberProcess.startVia(net.wrapper(), "--api-sock", sock.toString(), "--id", "linux-mmds")) {
                UnixHttpClient http = vm.api(sock);
                bootV2(http, cmd);
                vm.awaitStdout("^MMDS-WAIT", LinuxTests.bootTimeout());
                expect(204, http.patch("/mmds", "{\"latest\": {\"meta-data\": {\"late\": \"patched-after-boot\"}}}"), "PATCH /mmds");
                Matcher late = vm.awaitStdout("^MMDS-LATE (.*)\\r?\\n", LinuxTests.KVM_BOOT); // the whole line, not part of it
                assertEquals("patched-after-boot", late.group(1).trim(), vm.describe());
                String out = vm.stdout().replace("\r", "");
                assertTrue(out.contains("MMDS-NOTOKEN wget: server returned error: HTTP/1.1 401 Unauthorized"),
                        "V2 refuses a GET without a token\n" + vm.describe());
                assertTrue(out.contains("MMDS-TOKEN-LENGTH 43\n"), "a token came back over nc\n" + vm.describe());
                assertTrue(out.contains("MMDS-V2 ami-12345678\n"), "the token opens the store\n" + vm.describe());
                assertEquals(0, LinuxTests.awaitExit(vm, LinuxTests.KVM_BOOT), vm.describe());
            }
        }
    }

    @Test
    void snapshotLoadKeepsTheServiceRefusesOldTokensAndServesTheReseededStore() throws Exception {
        String token = "--header \\\"X-metadata-token: \\$T\\\" ";
        String newToken = "T=\\$(printf 'PUT /latest/api/token HTTP/1.1\\r\\nX-metadata-token-ttl-seconds: 600\\r\\nConnection: close\\r\\n\\r\\n'"
                + " | nc 169.254.169.254 80 | tail -n 1); ";
        String cmd = ROUTE + newToken
                + "echo MMDS-BEFORE \\$(wget -qO- " + token + MMDS + "/latest/meta-data/ami-id); "
                + "while :; do r=\\$(wget -qO- " + token + MMDS + "/latest/meta-data/ami-id 2>&1);"
                + " case \\$r in *401*) break;; esac; echo MMDS-POLL; sleep 0.5; done; "
                + "echo MMDS-OLD-TOKEN-REFUSED; " + newToken
                + "echo MMDS-AFTER \\$(wget -qO- " + token + MMDS + "/latest/meta-data/ami-id)";
        Path snap = dir.resolve("mmds.snap");
        Path mem = dir.resolve("mmds.mem");
        try (DhcpNetwork net = DhcpNetwork.start(dir)) {
            try (EmberProcess first = EmberProcess.startVia(net.wrapper(), "--api-sock", dir.resolve("a.sock").toString(), "--id", "mmds-a")) {
                UnixHttpClient http = first.api(dir.resolve("a.sock"));
                bootV2(http, cmd);
                assertEquals("ami-12345678", first.awaitStdout("^MMDS-BEFORE (.*)\\r?\\n", LinuxTests.bootTimeout()).group(1), first.describe());
                first.awaitStdout("^MMDS-POLL", LinuxTests.KVM_BOOT);
                expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
                expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}"),
                        "create");
                first.terminate();
                first.awaitExit(LinuxTests.KVM_BOOT);
            }
            try (EmberProcess second = EmberProcess.startVia(net.wrapper(), "--api-sock", dir.resolve("b.sock").toString(), "--id", "mmds-b")) {
                UnixHttpClient http = second.api(dir.resolve("b.sock"));
                // Firecracker does not keep the store in a snapshot: the host reseeds it.
                expect(204, http.put("/mmds", "{\"latest\": {\"meta-data\": {\"ami-id\": \"ami-after-load\"}}}"), "mmds");
                expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"File\","
                        + " \"backend_path\": \"" + mem + "\"}, \"resume_vm\": true}"), "load");
                Matcher after = second.awaitStdout("^MMDS-AFTER (.*)\\r?\\n", LinuxTests.KVM_BOOT);
                assertEquals("ami-after-load", after.group(1), second.describe());
                assertTrue(second.stdout().contains("MMDS-OLD-TOKEN-REFUSED"), "the token from before the snapshot is refused\n" + second.describe());
                assertEquals(0, LinuxTests.awaitExit(second, LinuxTests.KVM_BOOT), second.describe());
            }
        }
    }

    /** Boots the guest with {@code cmd} over the API: eth0 on the namespace's TAP, MMDS V2 on it, {@link #STORE} in the store. */
    private static void bootV2(UnixHttpClient http, String cmd) throws Exception {
        String args = (LinuxImages.BASE_CMDLINE + " ip=dhcp ember.cmd=\"" + cmd + "\"").replace("\\", "\\\\").replace("\"", "\\\"");
        expect(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + LinuxImages.vmlinux() + "\", \"initrd_path\": \""
                + LinuxImages.initramfs() + "\", \"boot_args\": \"" + args + "\"}"), "boot-source");
        expect(204, http.put("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"" + DhcpNetwork.TAP
                + "\", \"guest_mac\": \"" + DhcpNetwork.GUEST_MAC + "\"}"), "network-interfaces");
        expect(204, http.put("/mmds/config", "{\"version\": \"V2\", \"network_interfaces\": [\"eth0\"]}"), "mmds/config");
        expect(204, http.put("/mmds", STORE), "mmds");
        expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
    }
}
