package org.protosw.internal.shell;

import org.osgi.service.component.annotations.Reference;
import org.protosw.internal.kern.StackComponent;
import org.protosw.internal.kern.StackCore;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.NetInterface;
import org.protosw.socket.NetStack;
import org.protosw.socket.SocketException;

/**
 * What every {@code net:} command shares: the core, the choice of stack instance
 * ({@code -j vnet}, as FreeBSD's jail option) and the translation of core errors into one
 * line for the user.
 */
abstract class NetCommand {
    @Reference
    StackComponent stack;

    /** A core handed in directly, when the command runs without OSGi; otherwise the component's. */
    private volatile StackCore standalone;

    /**
     * Runs this command against {@code core} instead of the DS-injected component: for unit
     * tests and for programs that embed a {@code StandaloneStack} and want its shell output.
     */
    public final void useCore(StackCore core) {
        this.standalone = core;
    }

    StackCore core() {
        StackCore c = standalone;
        return c != null ? c : stack.core();
    }

    /**
     * The stack instance named {@code name} (null: the default one). Not called vnet: that
     * would overload {@code VnetCommand.vnet(String...)} and catch its two-word calls.
     */
    Vnet instance(String command, String name) {
        return core(command, () -> core().requireVnet(name == null ? NetStack.DEFAULT_VNET : name));
    }

    static NetInterface requireInterface(Vnet v, String name, String command) {
        NetInterface ifp = v.interfaces().byName(name);
        if (ifp == null) {
            StringBuilder known = new StringBuilder();
            for (NetInterface i : v.interfaces().list()) {
                known.append(known.isEmpty() ? "" : ", ").append(i.name());
            }
            throw new CommandException(command + ": interface " + name + " does not exist in vnet " + v.name() + " (known: " + known + ")");
        }
        return ifp;
    }

    /** Runs a core operation, turning its errno into a one-line message. */
    static <T> T core(String command, CoreCall<T> call) {
        try {
            return call.run();
        } catch (SocketException e) {
            throw new CommandException(command + ": " + reason(e));
        } catch (IllegalArgumentException e) {
            throw new CommandException(command + ": " + e.getMessage());
        }
    }

    /**
     * What went wrong, for a user: the core's own words when it gave them ("no capture runs
     * on lo0"), else the errno's text. The errno's text alone can mislead in a shell (ENOENT
     * reads "No such file or directory" for a missing route), so it is not put before them.
     */
    static String reason(SocketException e) {
        String prefix = e.errno().name() + " (" + e.errno().text() + ")";
        String m = e.getMessage();
        if (m == null || m.equals(prefix)) {
            return e.errno().text();
        }
        return m.startsWith(prefix + ": ") ? m.substring(prefix.length() + 2) : m;
    }

    @FunctionalInterface
    interface CoreCall<T> {
        T run() throws SocketException;
    }
}
