package org.protosw.launcher.gogo;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Passes each write on and flushes it: what a command writes reaches the terminal at once. */
final class FlushingOutputStream extends FilterOutputStream {

    FlushingOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        out.flush();
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        out.flush();
    }
}
