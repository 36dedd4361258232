package org.protosw.socket;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One instance of the stack (a vnet): its own interfaces, routes and sockets. Registered
 * as an OSGi service with the property {@value #VNET_PROPERTY} naming the instance; the
 * one present from the start is called {@value #DEFAULT_VNET}.
 */
@ProviderType
public interface NetStack {
    /** Service property that holds the vnet's name. */
    String VNET_PROPERTY = "protosw.vnet";

    /** The name of the stack instance that exists from the start. */
    String DEFAULT_VNET = "default";

    /** The name of this stack instance. */
    String name();

    /**
     * socket(2): creates a socket of the protocol found by (domain, type, protocol);
     * protocol 0 picks the domain's default for the type.
     *
     * @throws SocketException EAFNOSUPPORT for an unknown domain, ESOCKTNOSUPPORT for a type
     *         the domain lacks, EPROTONOSUPPORT when no loaded protocol serves the triple or
     *         it is being removed (draining), EPERM for a raw (SOCK_RAW) or divert socket
     *         when the calling bundle lacks the right ({@code raw}, {@code divert}) granted in
     *         the configuration {@code org.protosw.priv}
     */
    Socket socket(int domain, int type, int protocol) throws SocketException;

    /** A new readiness poller (kqueue(2)) for sockets of this stack. */
    Poller newPoller();

    /**
     * A socket address of any registered domain from its text form (as {@code netstat} and
     * the shell write it), so an application needs no class of the domain's bundle:
     * {@code parseAddress(AF_INET, "192.0.2.1:7")}.
     *
     * @throws SocketException EAFNOSUPPORT when no domain serves the family, EINVAL (with
     *         the domain's message saying what it accepts) for text it cannot parse
     * @since 1.1
     */
    SockAddr parseAddress(int family, String text) throws SocketException;
}
