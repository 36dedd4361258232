package org.protosw.inetd.internal.http;

/** A request the server answers with an error status and then closes the connection. */
public final class HttpError extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    public HttpError(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
