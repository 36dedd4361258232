package org.protosw.internal.kern;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;

/**
 * Tells an update of a protocol's bundle (a live upgrade) from a plain stop or uninstall (an
 * unload). The OSGi framework stops a bundle the same way for both and says "updated" only
 * after the bundle stopped, when its services (and the old classes' chance to export their
 * state) are gone; so the question is asked while the bundle stops, on the thread stopping
 * it, which is inside the update:
 *
 * <ul>
 * <li>{@code Bundle.update(...)} of the framework's bundle class is on the stack: the shell's
 * {@code update}, {@code net:upgrade}, any management agent;</li>
 * <li>Felix FileInstall's {@code DirectoryWatcher.update} is on the stack: a jar replaced in
 * {@code deploy/} (FileInstall stops the bundle transiently, then updates it; a deleted
 * jar is uninstalled from another method);</li>
 * <li>{@code net:upgrade} announced the bundle.</li>
 * </ul>
 *
 * A {@link SynchronousBundleListener} records the answer at {@code STOPPING}, so it holds
 * even if the service's unbind were called from another thread; it is forgotten when the
 * bundle starts again or is uninstalled.
 */
final class UpdateDetector implements SynchronousBundleListener {
    private static final String FILEINSTALL_WATCHER = "org.apache.felix.fileinstall.internal.DirectoryWatcher";

    private final Set<Long> updating = ConcurrentHashMap.newKeySet();
    private final Set<Long> announced = ConcurrentHashMap.newKeySet();

    @Override
    public void bundleChanged(BundleEvent event) {
        long id = event.getBundle().getBundleId();
        switch (event.getType()) {
            case BundleEvent.STOPPING -> {
                if (announced.contains(id) || updateOnStack()) {
                    updating.add(id);
                }
            }
            case BundleEvent.STARTED, BundleEvent.UNINSTALLED -> updating.remove(id);
            default -> {
            }
        }
    }

    /** Whether the bundle that served a service going away now is being updated. */
    boolean isUpdating(Bundle b) {
        if (b == null) {
            return false;
        }
        long id = b.getBundleId();
        return updating.contains(id) || announced.contains(id) || updateOnStack();
    }

    /** {@code net:upgrade} is about to update the bundle (or install its replacement). */
    void announce(long bundleId) {
        announced.add(bundleId);
    }

    void withdraw(long bundleId) {
        announced.remove(bundleId);
    }

    static boolean updateOnStack() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames.anyMatch(f -> {
            if (!f.getMethodName().equals("update")) {
                return false;
            }
            Class<?> c = f.getDeclaringClass();
            return Bundle.class.isAssignableFrom(c) || c.getName().equals(FILEINSTALL_WATCHER);
        }));
    }
}
