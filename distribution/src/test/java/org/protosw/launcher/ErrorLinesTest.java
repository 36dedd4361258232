package org.protosw.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleException;

class ErrorLinesTest {

    /** As the shell commands' exceptions: toString() is the message, which names the command. */
    private static final class CommandError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CommandError(String message) {
            super(message);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }

    @Test
    void aCommandsOwnErrorIsItsMessageAlone() {
        Exception e = new java.lang.reflect.InvocationTargetException(new CommandError("sysctl: unknown oid 'x.y'"));
        assertThat(ErrorLines.forTheUser(e)).isTrue();
        assertThat(ErrorLines.message(e)).isEqualTo("sysctl: unknown oid 'x.y'");
        assertThat(ErrorLines.forTheUser(new IllegalStateException("bad"))).isFalse();
        assertThat(ErrorLines.forTheUser(new CommandError(null))).isFalse();
    }

    @Test
    void plainExceptionKeepsItsNameAndMessage() {
        assertThat(ErrorLines.oneLine(new IllegalArgumentException("bad port")))
                .isEqualTo("IllegalArgumentException: bad port");
    }

    @Test
    void reflectionAndFutureWrappersAreSkipped() {
        Exception root = new IllegalStateException("EADDRINUSE: port 53 in use");
        Exception wrapped = new ExecutionException(new InvocationTargetException(root));
        assertThat(ErrorLines.oneLine(wrapped)).isEqualTo("IllegalStateException: EADDRINUSE: port 53 in use");
    }

    @Test
    void activatorErrorShowsWhatTheActivatorThrew() {
        BundleException e = new BundleException("Activator start error in bundle x [7].",
                BundleException.ACTIVATOR_ERROR, new IllegalStateException("no tun device"));
        assertThat(ErrorLines.message(e)).isEqualTo("no tun device");
    }

    @Test
    void resolutionErrorKeepsTheFrameworkMessage() {
        BundleException e = new BundleException("Unable to resolve x: missing requirement y",
                BundleException.RESOLVE_ERROR);
        assertThat(ErrorLines.message(e)).isEqualTo("Unable to resolve x: missing requirement y");
    }

    @Test
    void wrapperThatOnlyRepeatsItsCauseIsSkipped() {
        Exception root = new java.io.IOException("disk full");
        assertThat(ErrorLines.oneLine(new RuntimeException(root))).isEqualTo("IOException: disk full");
    }

    @Test
    void wrapperWithItsOwnWordsIsKept() {
        Exception e = new IllegalStateException("cannot open capture file", new java.io.IOException("disk full"));
        assertThat(ErrorLines.oneLine(e)).isEqualTo("IllegalStateException: cannot open capture file");
    }

    @Test
    void multiLineMessagesBecomeOneLine() {
        assertThat(ErrorLines.oneLine(new IllegalStateException("first\n  second\r\nthird\n")))
                .isEqualTo("IllegalStateException: first; second; third");
    }

    @Test
    void noMessageGivesTheName() {
        assertThat(ErrorLines.oneLine(new NullPointerException())).isEqualTo("NullPointerException");
        assertThat(ErrorLines.message(new NullPointerException())).isEqualTo("NullPointerException");
    }

    @Test
    void causeCycleEnds() {
        Exception a = new IllegalStateException();
        Exception b = new IllegalStateException(a);
        a.initCause(b);
        assertThat(ErrorLines.oneLine(b)).startsWith("IllegalStateException");
    }
}
