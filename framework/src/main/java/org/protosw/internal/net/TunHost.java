package org.protosw.internal.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;

/**
 * The host kernel's side of a TUN device: its address, MTU and state. This runs
 * {@code ip} from iproute2 rather than speaking rtnetlink itself: the same three commands a
 * user would type, no netlink code to keep, and {@code ip}'s own messages when the kernel
 * refuses. The child inherits the calling thread's network namespace, which is the one the
 * device was opened in when the same thread opened it.
 *
 * <p>Safety rule: in the host's own network namespace only documentation addresses
 * (RFC 5737: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) may be put on the host side, so
 * a mistyped command cannot capture a real network's traffic. Inside any other network
 * namespace every address is accepted.
 */
public final class TunHost {
    private static final long IP_TIMEOUT_S = 10;

    private TunHost() {
    }

    /** Whether {@code a} lies in one of RFC 5737's three documentation networks. */
    public static boolean isDocumentation(InAddr a) {
        int net = a.bits() & 0xffffff00;
        return net == 0xc0000200 || net == 0xc6336400 || net == 0xcb007100;
    }

    /**
     * Whether the calling thread is in a network namespace other than init's. The thread's
     * own ({@code /proc/thread-self}), since that is what a child process inherits; when
     * init's namespace cannot be read the answer is "no" (the strict rule applies).
     */
    public static boolean inOtherNetns() {
        try {
            Path self = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net"));
            Path init = Files.readSymbolicLink(Path.of("/proc/1/ns/net"));
            return !self.equals(init);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** Refuses a host address outside RFC 5737 unless this thread is in a namespace of its own. */
    public static void checkAllowed(InAddr addr, int prefixLength) throws SocketException {
        if (isDocumentation(addr) && prefixLength >= 24) {
            return;
        }
        if (!inOtherNetns()) {
            throw new SocketException(Errno.EPERM, "host " + addr + "/" + prefixLength
                    + " refused: in the host's own network namespace only RFC 5737 networks (192.0.2.0/24, 198.51.100.0/24,"
                    + " 203.0.113.0/24, prefix 24 or longer) may be configured; run in a network namespace (ip netns exec) for others");
        }
    }

    /** Sets the host side's MTU, address and brings it up. */
    public static void configure(String dev, int mtu, InAddr addr, int prefixLength) throws SocketException {
        checkAllowed(addr, prefixLength);
        ip("link", "set", "dev", dev, "mtu", Integer.toString(mtu));
        ip("addr", "add", addr + "/" + prefixLength, "dev", dev);
        ip("link", "set", "dev", dev, "up");
    }

    /** Sets only the host side's MTU (the stack's MTU changed). */
    public static void setMtu(String dev, int mtu) throws SocketException {
        ip("link", "set", "dev", dev, "mtu", Integer.toString(mtu));
    }

    private static void ip(String... args) throws SocketException {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(new java.io.File("/dev/null")).start();
        } catch (IOException e) {
            throw new SocketException(Errno.ENOENT, "cannot run 'ip' (install iproute2, or configure the host side yourself): " + e.getMessage());
        }
        try {
            if (!p.waitFor(IP_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new SocketException(Errno.ETIMEDOUT, "'" + String.join(" ", cmd) + "' did not finish in " + IP_TIMEOUT_S + " s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().replace('\n', ' ');
            if (p.exitValue() != 0) {
                throw new SocketException(Errno.EPERM, "'" + String.join(" ", cmd) + "' failed: " + (out.isEmpty() ? "exit " + p.exitValue() : out));
            }
        } catch (IOException e) {
            throw new SocketException(Errno.EIO, "'" + String.join(" ", cmd) + "': " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new SocketException(Errno.EINTR, "'" + String.join(" ", cmd) + "' interrupted");
        }
    }
}
