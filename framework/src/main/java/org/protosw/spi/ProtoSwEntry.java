package org.protosw.spi;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * The description of a {@link ProtoSw} as service properties, usable as a DS component
 * property type:
 *
 * <pre>{@code
 * @Component(service = ProtoSw.class)
 * @ProtoSwEntry(domain = AF_INET, type = SOCK_DGRAM, protocol = IPPROTO_UDP, name = "udp",
 *               flags = {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR})
 * public class UdpProtoSw implements ProtoSw { ... }
 * }</pre>
 *
 * Without DS, register the service with the properties {@value #DOMAIN}, {@value #TYPE},
 * {@value #PROTOCOL}, {@value #NAME} (all mandatory) and {@value #FLAGS} (optional).
 */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface ProtoSwEntry {
    /** Makes the element names below map to {@code protosw.*} properties. */
    String PREFIX_ = "protosw.";

    String DOMAIN = "protosw.domain";
    String TYPE = "protosw.type";
    String PROTOCOL = "protosw.protocol";
    String NAME = "protosw.name";
    String FLAGS = "protosw.flags";
    /**
     * Names of the protocols this one runs on (optional, since SPI 1.2): declared here, or
     * learned by the core from the in-stack sockets the protocol opens
     * ({@link ProtoContext#socreate}). Unloading or draining one of them aborts this
     * protocol's sockets first.
     */
    String USES = "protosw.uses";

    /** Each send is one record, taken whole or not at all. */
    String PR_ATOMIC = "PR_ATOMIC";
    /** Addresses are given with the data (sendto/recvfrom). */
    String PR_ADDR = "PR_ADDR";
    /** A connection is needed before data moves. */
    String PR_CONNREQUIRED = "PR_CONNREQUIRED";
    /** Call {@link Pcb#rcvd} after the application took data (window updates). */
    String PR_WANTRCVD = "PR_WANTRCVD";
    /** connect and send go together (implied open/close). */
    String PR_IMPLOPCL = "PR_IMPLOPCL";

    /** Address family, e.g. {@code AF_INET}. */
    int domain();

    /** Socket type, e.g. {@code SOCK_DGRAM}. */
    int type();

    /** Protocol number; 0 on a {@code SOCK_RAW} entry means "any protocol". */
    int protocol();

    /** Short lower-case name shown by {@code net:protocols}, e.g. {@code udp}. */
    String name();

    /** {@code PR_*} flags. */
    String[] flags() default {};

    /**
     * Names of the lower protocols this one uses ({@value #USES}).
     *
     * @since SPI 1.2
     */
    String[] uses() default {};
}
