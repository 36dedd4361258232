package org.protosw.launcher;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.launch.Framework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code exit} command. Gogo 1.1 has none of its own: its profile maps {@code exit} onto
 * {@code System.exit(int)}, so a bare {@code exit} fails and {@code exit 0} kills the JVM without
 * stopping the bundles. This one stops the framework in order and lets the launcher exit with
 * the status given. It is in the {@code gogo} scope, which the shell searches first.
 *
 * <p>Public with public methods: Gogo calls them by reflection from its own bundle.
 */
public final class ShellCommands {

    static final String SCOPE = "gogo";
    /** No exit requested yet. */
    static final int NONE = -1;

    private static final Logger LOG = LoggerFactory.getLogger(ShellCommands.class);

    private final Framework framework;
    private final AtomicInteger requested = new AtomicInteger(NONE);

    ShellCommands(Framework framework) {
        this.framework = framework;
    }

    ServiceRegistration<?> register(BundleContext context) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("osgi.command.scope", SCOPE);
        properties.put("osgi.command.function", new String[] {"exit"});
        return context.registerService(Object.class.getName(), this, properties);
    }

    /** Stops the runtime; the process exits 0. */
    public void exit() throws BundleException {
        exit(0);
    }

    /** Stops the runtime; the process exits with {@code status}. */
    public void exit(int status) throws BundleException {
        if (status < 0 || status > 255) {
            throw new IllegalArgumentException("exit status must be 0..255, not " + status);
        }
        requested.compareAndSet(NONE, status);
        LOG.info("exit {}: stopping the framework", status);
        // returns at once: the bundles, this shell's included, stop on the framework's own thread
        framework.stop();
    }

    /** The status given to {@code exit}, or {@link #NONE}. */
    int requestedStatus() {
        return requested.get();
    }
}
