package dev.ember.logging;

import java.util.Map;
import org.jboss.logging.Logger;
import org.jboss.logging.LoggerProvider;

/**
 * jboss-logging's back-end for Undertow and XNIO: their lines go through {@link dev.ember.log.Log}
 * to the process's log like Ember's own. Registered in META-INF/services of Ember's jar, the first
 * on the class path: jboss-logging takes the first provider it finds there, so it neither reads
 * the other jars for one nor probes for JBoss LogManager, Log4j and SLF4J (a failed class look-up
 * each, through every jar) before settling on java.util.logging, whose set-up scans the class path
 * again. No MDC or NDC: nothing in Ember sets them.
 */
public final class JbossLogProvider implements LoggerProvider {
    @Override
    public Logger getLogger(String name) {
        return new JbossLogger(name);
    }

    @Override
    public void clearMdc() {}

    @Override
    public Object putMdc(String key, Object value) {
        return null;
    }

    @Override
    public Object getMdc(String key) {
        return null;
    }

    @Override
    public void removeMdc(String key) {}

    @Override
    public Map<String, Object> getMdcMap() {
        return Map.of();
    }

    @Override
    public void clearNdc() {}

    @Override
    public String getNdc() {
        return null;
    }

    @Override
    public int getNdcDepth() {
        return 0;
    }

    @Override
    public String popNdc() {
        return null;
    }

    @Override
    public String peekNdc() {
        return null;
    }

    @Override
    public void pushNdc(String message) {}

    @Override
    public void setNdcMaxDepth(int maxDepth) {}
}
