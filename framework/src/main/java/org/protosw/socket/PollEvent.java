package org.protosw.socket;

/**
 * One event returned by {@link Poller#poll}.
 *
 * @param socket the socket
 * @param filter {@link Poller#EVFILT_READ} or {@link Poller#EVFILT_WRITE}
 * @param flags {@link Poller#EV_EOF}, {@link Poller#EV_ERROR}
 * @param data bytes readable (connections pending on a listener), bytes of send space,
 *        or an errno number with {@link Poller#EV_ERROR}
 * @param udata what was given at registration
 */
public record PollEvent(Socket socket, int filter, int flags, long data, Object udata) {
    public boolean eof() {
        return (flags & Poller.EV_EOF) != 0;
    }
}
