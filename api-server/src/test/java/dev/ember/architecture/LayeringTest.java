package dev.ember.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.ember.app.EmberVersion;
import dev.ember.app.VmmCommand;
import dev.ember.app.VmmController;
import dev.ember.app.VmmResult;
import java.util.regex.Pattern;

/**
 * The layering rules of docs/architecture.md ("Modules and what they may know"), checked on the
 * compiled classes of sys, vmm-core, devices and api-server: a forbidden import fails
 * {@code mvn verify}. A module is recognised by where its classes come from (its
 * {@code target/classes} or its jar), so a package added to a module is covered without
 * editing this file. The jailer's rule lives in the jailer module (JailerLayeringTest), the only
 * module whose test class path holds the jailer.
 */
@AnalyzeClasses(packages = "dev.ember", importOptions = {ImportOption.DoNotIncludeTests.class, LayeringTest.NoTestSupport.class})
class LayeringTest {
    /** The test-support module is test code although Maven builds it as a main jar: not part of the product. */
    static final class NoTestSupport implements ImportOption {
        @Override
        public boolean includes(com.tngtech.archunit.core.importer.Location location) {
            return !location.matches(Pattern.compile(".*test-support.*"));
        }
    }

    private static final String[] HTTP_AND_JSON = {"io.undertow..", "org.xnio..", "com.fasterxml.jackson.."};
    private static final String[] ABOVE_DEVICES = {"dev.ember.config..", "dev.ember.api..", "dev.ember.app..",
            "dev.ember.cli..", "dev.ember.logging..", "dev.ember.seccomp.json..", "dev.ember.jailer..", "picocli.."};

    @ArchTest
    static final ArchRule sysKnowsOnlyLibc = classes().that(inModule("sys"))
            .should().onlyDependOnClassesThat().resideInAnyPackage("dev.ember.sys..", "java..", "com.kenai.jffi..")
            .because("the jailer depends on dev.ember.sys alone, so it must not drag the VMM in");

    @ArchTest
    static final ArchRule vmmCoreKnowsNoDevicesHttpOrJson = noClasses().that(inModule("vmm-core"))
            .should().dependOnClassesThat().resideInAnyPackage(concat(concat(ABOVE_DEVICES, HTTP_AND_JSON), "dev.ember.devices.."))
            .because("vmm-core knows nothing of devices, HTTP or JSON");

    @ArchTest
    static final ArchRule devicesKnowNoHttpJsonOrConfig = noClasses().that(inModule("devices"))
            .should().dependOnClassesThat().resideInAnyPackage(concat(ABOVE_DEVICES, HTTP_AND_JSON))
            .because("devices know nothing of HTTP or JSON and never see the configuration model");

    @ArchTest
    static final ArchRule configModelKnowsOnlyItselfAndJackson = classes().that().resideInAPackage("dev.ember.config..")
            .should().onlyDependOnClassesThat().resideInAnyPackage("dev.ember.config..", "java..", "com.fasterxml.jackson..")
            .because("the Firecracker configuration model is plain data plus validation: one path for the config file"
                    + " and the API, knowing neither the composition root nor HTTP nor the machine");

    @ArchTest
    static final ArchRule apiReachesTheVmmOnlyThroughApp = noClasses().that().resideInAPackage("dev.ember.api..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.ember.devices..", "dev.ember.vm..", "dev.ember.kvm..",
                    "dev.ember.memory..", "dev.ember.bus..", "dev.ember.irq..", "dev.ember.eventloop..",
                    "dev.ember.arch..", "dev.ember.snapshot..", "dev.ember.cli..")
            .because("the HTTP layer hands validated requests to the VMM's control interface (dev.ember.app) and"
                    + " touches no device or vCPU itself");

    /**
     * The one typed path: the API builds a {@code VmmCommand}, hands it to the {@code VmmController}
     * and maps the {@code VmmResult}; nothing else of the composition root is in its reach
     * (but the build's version, a constant the OpenAPI document names).
     */
    @ArchTest
    static final ArchRule apiReachesAppOnlyThroughCommands = noClasses().that().resideInAPackage("dev.ember.api..")
            .should().dependOnClassesThat(DescribedPredicate.and(JavaClass.Predicates.resideInAPackage("dev.ember.app.."),
                    DescribedPredicate.not(JavaClass.Predicates.belongToAnyOf(VmmCommand.class, VmmResult.class, VmmController.class,
                            EmberVersion.class))))
            .because("every request reaches the VMM as a VmmCommand handled by the VmmController, answered by a VmmResult");

    @ArchTest
    static final ArchRule compositionRootKnowsNoHttp = noClasses().that().resideInAPackage("dev.ember.app..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.ember.api..", "dev.ember.cli..", "io.undertow..", "org.xnio..")
            .because("the composition root builds the machine from VmResources whoever asked for it (API or config file)");

    @ArchTest
    static final ArchRule loggingKnowsNoApiOrApp = noClasses().that().resideInAPackage("dev.ember.logging..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.ember.api..", "dev.ember.app..", "dev.ember.cli..");

    @ArchTest
    static final ArchRule onlyTheEntryPointKnowsTheEntryPoint = noClasses().that().resideOutsideOfPackage("dev.ember.cli..")
            .should().dependOnClassesThat().resideInAPackage("dev.ember.cli..");

    /** Top-level packages: an architecture's sub-package (dev.ember.vm.x86) belongs to its parent. */
    @ArchTest
    static final ArchRule packagesFormNoCycles = slices().matching("dev.ember.(*)..").should().beFreeOfCycles();

    /** Classes compiled from module {@code name}: its target/classes directory or its jar. */
    static DescribedPredicate<JavaClass> inModule(String name) {
        Pattern where = Pattern.compile(".*/" + Pattern.quote(name) + "(/target/classes/|-[^/]*\\.jar!/).*");
        return DescribedPredicate.describe("are in module " + name, c -> c.getSource()
                .map(s -> where.matcher(s.getUri().toString()).matches()).orElse(false));
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
