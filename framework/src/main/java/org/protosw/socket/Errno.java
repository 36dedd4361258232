package org.protosw.socket;

/**
 * POSIX error numbers a socket call can fail with. The numbers are FreeBSD's
 * ({@code sys/errno.h}), so a value seen in a log matches what a BSD engineer expects.
 */
public enum Errno {
    EPERM(1, "Operation not permitted"),
    ENOENT(2, "No such file or directory"),
    EINTR(4, "Interrupted system call"),
    EIO(5, "Input/output error"),
    EBADF(9, "Bad file descriptor"),
    ENOMEM(12, "Cannot allocate memory"),
    EACCES(13, "Permission denied"),
    EFAULT(14, "Bad address"),
    EBUSY(16, "Device busy"),
    EEXIST(17, "File exists"),
    ENODEV(19, "Operation not supported by device"),
    EINVAL(22, "Invalid argument"),
    ENFILE(23, "Too many open files in system"),
    EMFILE(24, "Too many open files"),
    EPIPE(32, "Broken pipe"),
    EAGAIN(35, "Resource temporarily unavailable"),
    EINPROGRESS(36, "Operation now in progress"),
    EALREADY(37, "Operation already in progress"),
    ENOTSOCK(38, "Socket operation on non-socket"),
    EDESTADDRREQ(39, "Destination address required"),
    EMSGSIZE(40, "Message too long"),
    EPROTOTYPE(41, "Protocol wrong type for socket"),
    ENOPROTOOPT(42, "Protocol not available"),
    EPROTONOSUPPORT(43, "Protocol not supported"),
    ESOCKTNOSUPPORT(44, "Socket type not supported"),
    EOPNOTSUPP(45, "Operation not supported"),
    EPFNOSUPPORT(46, "Protocol family not supported"),
    EAFNOSUPPORT(47, "Address family not supported by protocol family"),
    EADDRINUSE(48, "Address already in use"),
    EADDRNOTAVAIL(49, "Can't assign requested address"),
    ENETDOWN(50, "Network is down"),
    ENETUNREACH(51, "Network is unreachable"),
    ENETRESET(52, "Network dropped connection on reset"),
    ECONNABORTED(53, "Software caused connection abort"),
    ECONNRESET(54, "Connection reset by peer"),
    ENOBUFS(55, "No buffer space available"),
    EISCONN(56, "Socket is already connected"),
    ENOTCONN(57, "Socket is not connected"),
    ESHUTDOWN(58, "Can't send after socket shutdown"),
    ETIMEDOUT(60, "Operation timed out"),
    ECONNREFUSED(61, "Connection refused"),
    EHOSTDOWN(64, "Host is down"),
    EHOSTUNREACH(65, "No route to host"),
    EPROTO(92, "Protocol error");

    private final int number;
    private final String text;

    Errno(int number, String text) {
        this.number = number;
        this.text = text;
    }

    /** The FreeBSD errno value. */
    public int number() {
        return number;
    }

    /** The strerror(3) text. */
    public String text() {
        return text;
    }

    /** EAGAIN's BSD alias. */
    public static final Errno EWOULDBLOCK = EAGAIN;
}
