package org.protosw.launcher;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A Gogo command session opened on the framework's {@code CommandProcessor} service, used for
 * {@code -c} and {@code --script} where the terminal shell (gogo.jline) cannot run. Gogo's API
 * is reached by reflection through the gogo.runtime bundle's own class loader: the launcher
 * stays free of Gogo on its class path, and the system bundle exports nothing for it.
 */
final class GogoSession implements AutoCloseable {

    static final String PROCESSOR = "org.apache.felix.service.command.CommandProcessor";
    static final String SESSION = "org.apache.felix.service.command.CommandSession";
    /** {@code Converter.INSPECT}: the detailed form the Gogo shell prints results in. */
    private static final int INSPECT = 0;

    private final ServiceTracker<Object, Object> tracker;
    private final Object session;
    private final Method execute;
    private final Method format;
    private final Method close;

    private GogoSession(ServiceTracker<Object, Object> tracker, Object session, Method execute, Method format,
            Method close) {
        this.tracker = tracker;
        this.session = session;
        this.execute = execute;
        this.format = format;
        this.close = close;
    }

    /**
     * Opens a session whose output goes to {@code out}/{@code err}.
     *
     * @throws IllegalStateException when no command processor appears within {@code wait}
     */
    static GogoSession open(BundleContext context, InputStream in, OutputStream out, OutputStream err,
            Duration wait) throws InterruptedException {
        ServiceTracker<Object, Object> tracker;
        try {
            tracker = new ServiceTracker<>(context,
                    context.createFilter("(" + org.osgi.framework.Constants.OBJECTCLASS + "=" + PROCESSOR + ")"), null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        tracker.open(true);
        Object processor = tracker.waitForService(wait.toMillis());
        ServiceReference<Object> reference = tracker.getServiceReference();
        if (processor == null || reference == null) {
            tracker.close();
            throw new IllegalStateException("no Gogo command processor (is bundle/org.apache.felix.gogo.runtime-*.jar there and started?)");
        }
        try {
            Class<?> processorApi = reference.getBundle().loadClass(PROCESSOR);
            Class<?> sessionApi = reference.getBundle().loadClass(SESSION);
            Object session = processorApi
                    .getMethod("createSession", InputStream.class, OutputStream.class, OutputStream.class)
                    .invoke(processor, in, out, err);
            return new GogoSession(tracker, session,
                    sessionApi.getMethod("execute", CharSequence.class),
                    sessionApi.getMethod("format", Object.class, int.class),
                    sessionApi.getMethod("close"));
        } catch (ReflectiveOperationException e) {
            tracker.close();
            throw new IllegalStateException("cannot open a Gogo session: " + ErrorLines.oneLine(e), e);
        }
    }

    /** Runs one command line; its own exception (not the reflection wrapper) is thrown. */
    Object execute(String line) throws Exception {
        return invoke(execute, line);
    }

    /** The result as the Gogo shell would print it. */
    String format(Object result) throws Exception {
        Object text = invoke(format, result, INSPECT);
        return text == null ? String.valueOf(result) : text.toString();
    }

    @Override
    public void close() {
        try {
            invoke(close);
        } catch (Exception e) {
            // the session's bundle may already be stopping with the framework: nothing to release
        }
        tracker.close();
    }

    private Object invoke(Method method, Object... args) throws Exception {
        try {
            return method.invoke(session, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }
}
