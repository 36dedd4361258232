package org.protosw.internal.sw;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.protosw.spi.Domain;

/**
 * A registered domain ({@code struct domain} on FreeBSD's domain list): the service, the
 * bundle that serves it, and its state in each stack instance with the context that state
 * was made with.
 */
public final class DomainEntry {
    /** A domain's half in one stack instance. */
    record Instance(Object state, ScopedContext ctx) {
    }

    private final Domain domain;
    private final int family;
    private final String name;
    private final String owner;
    private final Map<String, Instance> instances = new ConcurrentHashMap<>();

    DomainEntry(Domain domain, int family, String name, String owner) {
        this.domain = domain;
        this.family = family;
        this.name = name;
        this.owner = owner;
    }

    Domain domain() {
        return domain;
    }

    public int family() {
        return family;
    }

    public String name() {
        return name;
    }

    public String owner() {
        return owner;
    }

    /** The address type's simple name, for {@code net:protocols -d}. */
    public String addressType() {
        try {
            Class<?> c = domain.addressType();
            return c == null ? "?" : c.getSimpleName();
        } catch (RuntimeException | LinkageError e) {
            return "?";
        }
    }

    /** The instance half, or null when the domain does not run there. */
    Instance instance(String vnet) {
        return instances.get(vnet);
    }

    void put(String vnet, Instance i) {
        instances.put(vnet, i);
    }

    Instance remove(String vnet) {
        return instances.remove(vnet);
    }

    Map<String, Instance> instances() {
        return instances;
    }

    @Override
    public String toString() {
        return name + " (af" + family + ") from " + owner;
    }
}
