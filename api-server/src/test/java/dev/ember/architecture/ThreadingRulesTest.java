package dev.ember.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.ember.bus.BusDevice;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.locks.Condition;

/**
 * docs/architecture.md, threads: register accesses run on vCPU threads and must not block (a
 * virtio reset used to wait up to 5 s on a latch there). A bus device calling a blocking
 * primitive itself fails the build; blocking reached through another class is what
 * ThreadConfinement and the device tests are for.
 */
@AnalyzeClasses(packages = "dev.ember", importOptions = {ImportOption.DoNotIncludeTests.class, LayeringTest.NoTestSupport.class})
class ThreadingRulesTest {
    private static final Set<String> WAITS = Set.of("await", "get", "join", "take", "put", "sleep", "wait");

    @ArchTest
    static final ArchRule busDevicesNeverWait = noClasses().that().implement(BusDevice.class)
            .should().callMethodWhere(DescribedPredicate.describe("a blocking wait (latch, future, queue, sleep, join, wait)",
                    ThreadingRulesTest::isBlockingWait))
            .because("BusDevice methods run on vCPU threads: hand slow work to the event loop and return");

    /** The VMM ends through Runtime.halt (Main.exitWithoutLogging), which runs no shutdown hook. */
    @ArchTest
    static final ArchRule noShutdownHooks = noClasses().should()
            .callMethod(Runtime.class, "addShutdownHook", Thread.class)
            .orShould().callMethod(java.io.File.class, "deleteOnExit")
            .because("the VMM exits through Runtime.halt, which skips shutdown hooks: clean up in EmberRun.run's finally");

    private static boolean isBlockingWait(JavaMethodCall call) {
        String name = call.getTarget().getName();
        if (!WAITS.contains(name)) {
            return false;
        }
        var owner = call.getTargetOwner();
        return owner.isAssignableTo(CountDownLatch.class) || owner.isAssignableTo(Future.class)
                || owner.isAssignableTo(BlockingQueue.class) || owner.isAssignableTo(Condition.class)
                || (owner.isAssignableTo(Thread.class) && (name.equals("sleep") || name.equals("join")))
                || (owner.isEquivalentTo(Object.class) && name.equals("wait"));
    }
}
