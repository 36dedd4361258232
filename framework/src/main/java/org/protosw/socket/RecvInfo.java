package org.protosw.socket;

/**
 * What {@link Socket#recvfrom} received besides the bytes.
 *
 * @param length number of bytes placed into the buffer
 * @param from the sender's address, or null on a stream socket
 * @param flags {@link SocketConstants#MSG_TRUNC} when the datagram or record did not fit (the
 *        excess was discarded), {@link SocketConstants#MSG_EOR} on a SOCK_SEQPACKET socket
 *        when the data end a record
 * @param ifname the receiving interface where the protocol reports it (raw, divert), else null
 */
public record RecvInfo(int length, SockAddr from, int flags, String ifname) {
    public boolean truncated() {
        return (flags & SocketConstants.MSG_TRUNC) != 0;
    }
}
