package org.protosw.launcher;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The Gogo shells of a runtime: the local one on the process's terminal and those of attached
 * clients, all run by gogo.jline's {@code Shell} with the same profile (etc/gosh_profile), so
 * they complete, edit and keep history alike. Implemented in {@code org.protosw.launcher.gogo}
 * against the Gogo and JLine types of the runtime's own bundles (see {@link BundleBridge}); the
 * launcher reaches it only through this interface. Public: the implementation lives in another
 * class loader, so package access would not reach it.
 */
public interface ShellHost extends AutoCloseable {

    /**
     * Runs the shell on the process's terminal until 'exit' or Ctrl-D, then asks the runtime to
     * stop (as the Gogo shell always did).
     */
    void runLocal() throws Exception;

    /** An interactive shell on a client's terminal; {@code out} carries what the terminal shows. */
    Session interactive(String terminalType, int columns, int rows, OutputStream out) throws IOException;

    /** One command line, its output on {@code out} and {@code err}. */
    Session command(String line, OutputStream out, OutputStream err);

    /** Ends every session and the local shell, and withdraws the commands the host registered. */
    @Override
    void close();

    /** A shell or a command running for a client. */
    interface Session {
        /**
         * Runs until the user leaves ('exit', Ctrl-D) or the command ends.
         *
         * @return the exit status ('exit N' gives N)
         * @throws Exception what the command threw (the caller reports it on the client's stderr)
         */
        int run() throws Exception;

        /** Bytes the user typed. */
        void input(byte[] bytes, int offset, int length) throws IOException;

        /** The client's window changed. */
        void resize(int columns, int rows);

        /** Ctrl-C: interrupts the command running in this session only. */
        void interrupt();

        /** The client went away: the session ends. */
        void hangUp();
    }
}
