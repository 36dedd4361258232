package org.protosw.internal.sw;

import java.util.List;
import java.util.Map;

/**
 * One row of {@code net:protocols}.
 *
 * @param domain address family
 * @param type socket type
 * @param protocol protocol number (0 on a SOCK_RAW wildcard entry)
 * @param name the entry's name
 * @param flags the {@code PR_*} flag names
 * @param owner the bundle that serves it
 * @param state active, draining or unloading
 * @param drained true when draining and no socket is left
 * @param socketsPerVnet open sockets in each stack instance that runs the protocol
 * @param sockets open sockets in all instances
 * @param callsInFlight user requests running right now, all instances
 * @param uses the protocols this one runs on (declared or learned from its in-stack sockets)
 * @param lastUpgrade the last live upgrade of the entry, or null
 * @param faults exceptions that escaped the protocol's code so far ({@link ProtoFaults})
 * @param faultsByKind the same, with the count per kind, e.g. {@code "requests 2, input 1"}
 */
public record ProtoSwInfo(int domain, int type, int protocol, String name, List<String> flags, String owner,
        ProtoState state, boolean drained, Map<String, Integer> socketsPerVnet, int sockets, long callsInFlight, List<String> uses,
        UpgradeRecord lastUpgrade, long faults, String faultsByKind) {
}
