/**
 * An example divert application written only against {@code org.protosw.socket} and
 * {@code org.protosw.wire}: {@link org.protosw.divert.example.Diverter} reads packets from
 * a divert port and writes them back, counting flows or rewriting UDP payload, the way
 * natd(8) sits on a divert socket. Exported so that programs can run it or read it as a
 * starting point for their own packet processors.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.protosw.divert.example;
