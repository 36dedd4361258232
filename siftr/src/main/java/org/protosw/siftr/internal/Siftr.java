package org.protosw.siftr.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.protosw.spi.NetModule;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.StringTunable;
import org.protosw.spi.Tunable;
import org.protosw.tcp.trace.TcpTraceHook;
import org.protosw.tcp.trace.TcpTraceState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FreeBSD's {@code siftr(4)} (Statistical Information For TCP Research): while
 * {@value #SYSCTL_ENABLED} is 1, one line per TCP segment in and out, with the connection's
 * state, goes to {@value #SYSCTL_LOGFILE}; {@value #SYSCTL_PORT_FILTER} (0: all) keeps only
 * segments with that port at either end.
 *
 * <p><b>Costs nothing when off.</b> The hook is registered with TCP only while some stack
 * instance has siftr enabled, and withdrawn when the last one turns it off, when the bundle
 * stops or when a stack instance goes: with none registered TCP pays one volatile read per
 * segment. While on, the data path copies the state into a record and offers it to the log's
 * bounded queue without waiting; a writer thread per file formats and writes. A full queue
 * drops the record and counts it (the footer line says how many).
 *
 * <p><b>Per stack instance.</b> The sysctls live in each vnet's tree (protosw's sysctls are per
 * vnet; FreeBSD's siftr is global); each vnet writes its own file unless two name the same one,
 * which they then share. Relative file names are taken in the runtime's log folder
 * ({@code protosw.log.dir}, {@code data/log}), else in the working directory.
 */
@Component(service = NetModule.class, immediate = true)
public final class Siftr implements NetModule, TcpTraceHook {
    private static final Logger LOG = LoggerFactory.getLogger(Siftr.class);

    static final String SYSCTL_ENABLED = "net.inet.siftr.enabled";
    static final String SYSCTL_LOGFILE = "net.inet.siftr.logfile";
    static final String SYSCTL_PORT_FILTER = "net.inet.siftr.port_filter";

    /** A vnet tracing now: where its lines go and which port it keeps. */
    private record Active(SiftrLog log, Tunable portFilter) {
    }

    private final HookPublisher publisher;
    private final Path logDir;
    /** Read on the data path: the vnets tracing now. */
    private final Map<String, Active> active = new ConcurrentHashMap<>();
    /** Open files and how many vnets write each; changed under this object's monitor. */
    private final Map<Path, SiftrLog> files = new HashMap<>();
    private final Map<Path, Integer> users = new HashMap<>();
    private AutoCloseable published;
    private final long nanoBase = SiftrLog.epochNanos() - System.nanoTime();

    @Activate
    public Siftr(BundleContext context) {
        this(hook -> {
            ServiceRegistration<TcpTraceHook> r = context.registerService(TcpTraceHook.class, hook, new Hashtable<>(
                    Map.of("protosw.trace", "siftr")));
            return () -> {
                try {
                    r.unregister();
                } catch (IllegalStateException e) {
                    // already gone with the bundle
                }
            };
        }, defaultLogDir());
    }

    Siftr(HookPublisher publisher, Path logDir) {
        this.publisher = publisher;
        this.logDir = logDir;
    }

    private static Path defaultLogDir() {
        String dir = System.getProperty("protosw.log.dir");
        return Path.of(dir == null || dir.isBlank() ? "." : dir);
    }

    // ---- NetModule: each stack instance gets its sysctls ---------------------------------

    @Override
    public AutoCloseable attach(ProtoContext ctx) {
        String vnet = ctx.vnet();
        String defaultFile = "default".equals(vnet) ? "siftr.log" : "siftr-" + vnet + ".log";
        StringTunable[] logfile = new StringTunable[1];
        Tunable portFilter = ctx.sysctl().register(SYSCTL_PORT_FILTER, 0, 0, 65535,
                "siftr logs only segments with this port at either end (0: all)");
        logfile[0] = ctx.sysctl().registerString(SYSCTL_LOGFILE, defaultFile,
                v -> active.containsKey(vnet) ? "siftr is enabled: set " + SYSCTL_ENABLED + "=0 first" : null,
                "file siftr writes to (relative names in the log folder)");
        Tunable enabled = ctx.sysctl().register(SYSCTL_ENABLED, 0, 0, 1,
                "siftr: log every TCP segment with its connection's state (1 on, 0 off)",
                v -> setEnabled(vnet, v != 0, logfile[0].get(), portFilter));
        if (enabled.get() != 0) {
            setEnabled(vnet, true, logfile[0].get(), portFilter);
        }
        return () -> setEnabled(vnet, false, null, null);
    }

    /** Turns tracing on or off in {@code vnet}, registering the hook with the first and withdrawing it with the last. */
    synchronized void setEnabled(String vnet, boolean on, String file, Tunable portFilter) {
        if (on == active.containsKey(vnet)) {
            return;
        }
        if (on) {
            Path path = logDir.resolve(file).toAbsolutePath().normalize();
            SiftrLog log = files.get(path);
            if (log == null) {
                try {
                    log = SiftrLog.open(path);
                } catch (IOException e) {
                    LOG.error("siftr: cannot open {} for vnet {}: {}", path, vnet, e.toString());
                    throw new IllegalStateException("siftr: cannot open " + path + ": " + e.getMessage(), e);
                }
                files.put(path, log);
            }
            users.merge(path, 1, Integer::sum);
            active.put(vnet, new Active(log, portFilter));
            if (published == null) {
                try {
                    published = publisher.publish(this);
                } catch (Exception e) {
                    active.remove(vnet);
                    release(path);
                    throw new IllegalStateException("siftr: cannot register its TCP hook: " + e, e);
                }
            }
            LOG.info("siftr enabled in vnet {}: writing {}", vnet, path);
        } else {
            Active a = active.remove(vnet);
            if (active.isEmpty()) {
                withdraw();
            }
            release(a.log().path);
            LOG.info("siftr disabled in vnet {}: {} closed", vnet, a.log().path);
        }
    }

    private void withdraw() {
        if (published != null) {
            try {
                published.close();
            } catch (Exception e) {
                LOG.warn("siftr: withdrawing its TCP hook failed", e);
            }
            published = null;
        }
    }

    private void release(Path path) {
        int left = users.merge(path, -1, Integer::sum);
        if (left <= 0) {
            users.remove(path);
            SiftrLog log = files.remove(path);
            if (log != null) {
                log.close();
            }
        }
    }

    /** The bundle stops: every vnet stops tracing (the core also detaches the module from each). */
    @Deactivate
    synchronized void deactivate() {
        for (String vnet : Map.copyOf(active).keySet()) {
            setEnabled(vnet, false, null, null);
        }
        withdraw();
    }

    /** Whether the hook is registered with TCP now. */
    synchronized boolean hookPublished() {
        return published != null;
    }

    // ---- TcpTraceHook: on the data path ---------------------------------------------------

    @Override
    public void segment(Direction dir, TcpTraceState conn, int seq, int ack, int flags, int payloadLength,
            boolean retransmit) {
        Active a = active.get(conn.vnet());
        if (a == null) {
            return;
        }
        int port = (int) a.portFilter().get();
        if (port != 0 && conn.localPort() != port && conn.foreignPort() != port) {
            return;
        }
        a.log().offer(SiftrRecord.of(dir, nanoBase + System.nanoTime(), conn, seq, ack, flags, payloadLength, retransmit));
    }
}
