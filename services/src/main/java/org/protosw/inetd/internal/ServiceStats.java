package org.protosw.inetd.internal;

import java.util.concurrent.atomic.LongAdder;

/**
 * What {@code inetd list} shows of a service: connections accepted (stream) or datagrams
 * received (datagram), bytes in and out, and the exchanges that ended in an error.
 */
public final class ServiceStats {
    public final LongAdder sessions = new LongAdder();
    public final LongAdder bytesIn = new LongAdder();
    public final LongAdder bytesOut = new LongAdder();
    public final LongAdder errors = new LongAdder();
}
