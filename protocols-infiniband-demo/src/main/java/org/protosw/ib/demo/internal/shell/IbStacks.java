package org.protosw.ib.demo.internal.shell;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.protosw.socket.NetStack;

/**
 * The stack instances, as the core publishes them ({@link NetStack} services, one per vnet),
 * for the measuring commands, which open their sockets with the application API like any
 * program would.
 */
@Component(service = IbStacks.class)
public final class IbStacks {
    private final Map<String, NetStack> stacks = new ConcurrentHashMap<>();

    @Reference(name = "stacks", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "removeStack")
    public void addStack(NetStack s) {
        stacks.put(s.name(), s);
    }

    public void removeStack(NetStack s) {
        stacks.remove(s.name(), s);
    }

    /** The vnet named {@code name} (null: the default one); fails naming the known ones. */
    NetStack stack(String command, String name) {
        String n = name == null ? NetStack.DEFAULT_VNET : name;
        NetStack s = stacks.get(n);
        if (s == null) {
            throw new CommandException(command + ": vnet '" + n + "' does not exist (known: " + String.join(", ", new TreeMap<>(stacks).keySet()) + ")");
        }
        return s;
    }
}
