package org.protosw.socket;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A readiness poller in the manner of kqueue(2): register interest in a socket's readable
 * or writable state, then wait for events. Level-triggered unless {@link #EV_CLEAR}
 * (edge) or {@link #EV_ONESHOT} is given. One thread polls at a time; registering and
 * {@link #wakeup()} may come from any thread.
 */
@ProviderType
public interface Poller extends AutoCloseable {
    /** Data to read, a connection to accept, end of stream, or a pending error. */
    int EVFILT_READ = -1;
    /** Room in the send buffer, or the write side has shut down. */
    int EVFILT_WRITE = -2;

    int EV_ADD = 0x0001;
    int EV_DELETE = 0x0002;
    int EV_ENABLE = 0x0004;
    int EV_DISABLE = 0x0008;
    int EV_ONESHOT = 0x0010;
    int EV_CLEAR = 0x0020;
    /** Output flag: the end of the stream was reached (or the socket was aborted). */
    int EV_EOF = 0x8000;
    /** Output flag: {@link PollEvent#data()} holds an errno number. */
    int EV_ERROR = 0x4000;

    /**
     * Adds, changes or removes interest ({@link #EV_ADD}, {@link #EV_DELETE},
     * {@link #EV_ENABLE}, {@link #EV_DISABLE}, with {@link #EV_ONESHOT}, {@link #EV_CLEAR}).
     *
     * @throws SocketException ENOENT deleting what was not added, EINVAL for a bad filter,
     *         EBADF for a closed socket or a socket of another stack
     */
    void change(Socket socket, int filter, int flags, Object udata) throws SocketException;

    /**
     * Waits up to {@code timeoutMillis} (0: do not wait; negative: forever) for events and
     * returns at most {@code maxEvents} of them.
     */
    List<PollEvent> poll(int maxEvents, long timeoutMillis) throws SocketException;

    /** Makes a thread blocked in {@link #poll} return early. */
    void wakeup();

    @Override
    void close();
}
