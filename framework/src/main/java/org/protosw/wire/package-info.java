/**
 * Packet views over byte buffers: IPv4, ICMP, UDP and TCP headers and options, and the
 * Internet checksum, in the spirit of smoltcp's {@code wire}. Parsing never allocates,
 * never trusts a length field and answers "malformed" instead of throwing. One
 * implementation of each header, shared by the core, the protocols, divert and capture.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.protosw.wire;
