/**
 * The InfiniBand demo's application-facing types: the AF_IB address (a GID and a service
 * ID) and the numbers to open its sockets with {@code NetStack.socket}. Everything else of
 * the bundle is private.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.1")
package org.protosw.ib.demo;
