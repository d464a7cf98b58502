package dev.ember.jailer;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * docs/architecture.md: the jailer shares only the native bindings (dev.ember.sys) with the VMM.
 * Its compile class path already holds nothing else of Ember; this also keeps the run-time
 * dependency on api-server (the VMM that goes into the runtime image) out of its code.
 */
@AnalyzeClasses(packages = "dev.ember", importOptions = ImportOption.DoNotIncludeTests.class)
class JailerLayeringTest {
    @ArchTest
    static final ArchRule jailerUsesOnlyTheNativeBindings = classes().that().resideInAPackage("dev.ember.jailer..")
            .should().onlyDependOnClassesThat().resideInAnyPackage("dev.ember.jailer..", "dev.ember.sys..", "java..",
                    "com.kenai.jffi..", "picocli..", "sun.misc..")   // sun.misc.Signal: the jailer passes signals on to the VMM it waits for;
                    // jffi: the JNI layer sys.RawLibc and the jailer's Sys call directly
            .because("the jailer runs before the VMM, as root: it needs libc and nothing of the VMM");
}
