package org.protosw.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Optional;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * A class loader that lets launcher code use the runtime's own Gogo and JLine classes with
 * ordinary static types: the classes of {@code org.protosw.launcher.gogo} are defined here from
 * the launcher jar, {@code org.apache.felix.*} (Gogo's API and gogo.jline) resolve through the
 * gogo.jline bundle's wiring and {@code org.jline.*} through the jline bundle, everything else
 * through the launcher's class loader (java.*, org.osgi.framework, slf4j: what the system
 * bundle shares). So a terminal built here is the very {@code Terminal} type gogo.jline's Shell
 * casts to, which a copy of jline on the launcher's class path (lib/, for the attach client)
 * would not be. Loading gogo.jline's classes resolves the bundle; it is never started, so its
 * activator's own console never runs.
 */
final class BundleBridge extends ClassLoader {

    static final String GOGO_JLINE = "org.apache.felix.gogo.jline";
    static final String JLINE = "org.jline";
    private static final String OWN = "org.protosw.launcher.gogo.";

    static {
        registerAsParallelCapable();
    }

    private final Bundle gogoJline;
    private final Bundle jline;

    private BundleBridge(ClassLoader parent, Bundle gogoJline, Bundle jline) {
        super("protosw-gogo-bridge", parent);
        this.gogoJline = gogoJline;
        this.jline = jline;
    }

    /** @return empty when bundle/ lacks gogo.jline or jline (then there is no terminal shell) */
    static Optional<BundleBridge> of(BundleContext context) {
        Optional<Bundle> gogo = find(context, GOGO_JLINE);
        Optional<Bundle> jl = find(context, JLINE);
        if (gogo.isEmpty() || jl.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new BundleBridge(BundleBridge.class.getClassLoader(), gogo.get(), jl.get()));
    }

    /** The loader of the jline bundle, for code (JLine's provider lookup) that asks the context loader. */
    ClassLoader jlineLoader() {
        return new ClassLoader("protosw-jline", null) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                return jline.loadClass(name);
            }

            @Override
            protected java.net.URL findResource(String name) {
                return jline.getResource(name);
            }
        };
    }

    private static Optional<Bundle> find(BundleContext context, String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName()))
                .filter(b -> (b.getState() & Bundle.UNINSTALLED) == 0).findFirst();
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                if (name.startsWith(OWN)) {
                    c = defineOwn(name);
                } else if (name.startsWith("org.jline.")) {
                    c = jline.loadClass(name);
                } else if (name.startsWith("org.apache.felix.")) {
                    c = gogoJline.loadClass(name);
                } else {
                    return super.loadClass(name, resolve);
                }
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    private Class<?> defineOwn(String name) throws ClassNotFoundException {
        String resource = name.replace('.', '/') + ".class";
        try (InputStream in = getParent().getResourceAsStream(resource)) {
            if (in == null) {
                throw new ClassNotFoundException(name);
            }
            byte[] bytes = in.readAllBytes();
            return defineClass(name, bytes, 0, bytes.length, BundleBridge.class.getProtectionDomain());
        } catch (IOException e) {
            throw new ClassNotFoundException(name, e);
        }
    }

    /** Creates the shell host ({@code org.protosw.launcher.gogo.GogoShellHost}) inside this loader. */
    ShellHost newShellHost(BundleContext context, Runnable stopRuntime) throws ReflectiveOperationException {
        Class<?> type = loadClass(OWN + "GogoShellHost");
        Object host = type.getConstructor(BundleContext.class, Runnable.class, ClassLoader.class)
                .newInstance(context, stopRuntime, jlineLoader());
        return (ShellHost) host;
    }
}
