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

    StackCore core() {
        return stack.core();
    }

    Vnet vnet(String name) {
        try {
            return core().requireVnet(name == null ? NetStack.DEFAULT_VNET : name);
        } catch (SocketException e) {
            throw new CommandException(e.getMessage());
        }
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
        } catch (SocketException | IllegalArgumentException e) {
            throw new CommandException(command + ": " + e.getMessage());
        }
    }

    @FunctionalInterface
    interface CoreCall<T> {
        T run() throws SocketException;
    }
}
