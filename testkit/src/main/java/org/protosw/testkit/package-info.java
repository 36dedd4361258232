/**
 * A kit for pax-exam tests of protocol bundles: {@link org.protosw.testkit.ProtoswOptions} brings
 * up the stack (Felix with SCR, Config Admin, Gogo, slf4j/logback and the core) with the chosen
 * protocol bundles and the author's own; inside the framework {@link org.protosw.testkit.Lab}
 * makes vnets and epairs, waits for a protocol to be served and runs shell commands,
 * {@link org.protosw.testkit.Footprint} asserts that an uninstalled bundle left nothing behind,
 * and {@link org.protosw.testkit.StackLog} reads what the stack logged.
 *
 * <p>Exported so the test probe can use it inside the framework: the options install this
 * bundle beside the stack. It is a test artifact, not part of the stack's API.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.protosw.testkit;
