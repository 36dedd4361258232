package org.protosw.internal.net;

import java.util.concurrent.atomic.LongAdder;

/** Interface counters as {@code netstat -i} shows them; striped so the data path never contends. */
public final class IfCounters {
    public final LongAdder ipackets = new LongAdder();
    public final LongAdder ibytes = new LongAdder();
    public final LongAdder ierrors = new LongAdder();
    public final LongAdder iqdrops = new LongAdder();
    public final LongAdder opackets = new LongAdder();
    public final LongAdder obytes = new LongAdder();
    public final LongAdder oerrors = new LongAdder();
    public final LongAdder oqdrops = new LongAdder();
}
