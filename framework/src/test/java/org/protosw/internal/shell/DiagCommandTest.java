package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.shell.Shell.error;
import static org.protosw.internal.shell.Shell.out;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.socket.TestDgramProto;
import org.protosw.socket.Socket;

class DiagCommandTest {
    private Shell sh;
    private DiagCommand diag;

    @BeforeEach
    void setUp() throws Exception {
        sh = new Shell();
        diag = sh.command(new DiagCommand());
    }

    @AfterEach
    void tearDown() {
        sh.close();
    }

    @Test
    void sayssoWhenAllIsWell() {
        assertThat(out(() -> diag.diag())).isEqualTo("no problems found\n");
    }

    @Test
    void aProtocolRefusedAtRegistrationIsOneLine() {
        // a second bundle claims the same (inet, dgram, 253)
        sh.stack.register(new TestDgramProto(), TestDgramProto.props("tdgram2", Shell.TDGRAM), "org.protosw.other [9] 2.0.0");
        String printed = out(() -> diag.diag());
        assertThat(printed.lines()).hasSize(1);
        assertThat(printed).startsWith("refused (EEXIST): tdgram2 (inet/dgram/253) from org.protosw.other [9] 2.0.0: ")
                .contains("already served by", "org.protosw.test.dgram [7] 1.2.3");
    }

    @Test
    void aDrainingProtocolShowsItsSocketsPerVnetUntilItIsReady() throws Exception {
        sh.stack.createVnet("b");
        Socket a = sh.stack.stack().socket(AF_INET, SOCK_DGRAM, Shell.TDGRAM);
        Socket b1 = sh.core().vnet("b").socket(AF_INET, SOCK_DGRAM, Shell.TDGRAM);
        Socket b2 = sh.core().vnet("b").socket(AF_INET, SOCK_DGRAM, Shell.TDGRAM);
        sh.core().registry().drain("tdgram");
        assertThat(out(() -> diag.diag())).isEqualTo("draining: tdgram (org.protosw.test.dgram [7] 1.2.3) has 3 socket(s) left (vnet default: 1, b: 2)\n");
        a.close();
        b1.close();
        b2.close();
        assertThat(out(() -> diag.diag())).isEqualTo("draining: tdgram (org.protosw.test.dgram [7] 1.2.3) has no sockets left: ready to unload\n");
    }

    @Test
    void anUnloadWaitingForACallInFlightIsOneLine() throws Exception {
        CountDownLatch stall = new CountDownLatch(1);
        sh.tdgram.stall = stall;
        Socket s = sh.stack.stack().socket(AF_INET, SOCK_DGRAM, Shell.TDGRAM);
        Thread inside = Thread.ofVirtual().start(() -> {
            try {
                s.setOption(TestDgramProto.TEST_OPT, 1);
            } catch (Exception e) {
                // aborted by the unload: what this test provokes
            }
        });
        Thread unload = null;
        try {
            for (int i = 0; i < 2500 && inside.getState() != Thread.State.WAITING; i++) {
                Thread.sleep(2);
            }
            unload = Thread.ofVirtual().start(() -> sh.stack.unregister(sh.tdgram));
            String printed = "";
            for (int i = 0; i < 2500 && !printed.startsWith("unloading"); i++) {
                Thread.sleep(2);
                printed = out(() -> diag.diag());
            }
            assertThat(printed).isEqualTo("unloading: tdgram (org.protosw.test.dgram [7] 1.2.3) waits for 1 call(s) in flight\n");
        } finally {
            stall.countDown();
            inside.join(TimeUnit.SECONDS.toMillis(5));
            if (unload != null) {
                unload.join(TimeUnit.SECONDS.toMillis(15));
            }
        }
        assertThat(inside.isAlive()).isFalse();
        assertThat(unload.isAlive()).isFalse();
        assertThat(out(() -> diag.diag())).isEqualTo("no problems found\n");
    }

    @Test
    void aProtocolWhoseCodeThrewIsOneLineWithItsCounts() throws Exception {
        sh.tdgram.attachThrows = new IllegalStateException("protocol bug");
        for (int i = 0; i < 3; i++) {
            org.protosw.internal.socket.Errnos.assertErrno(org.protosw.socket.Errno.EIO,
                    () -> sh.stack.stack().socket(AF_INET, SOCK_DGRAM, Shell.TDGRAM));
        }
        sh.tdgram.attachThrows = null;
        assertThat(out(() -> diag.diag())).isEqualTo("faults: tdgram (org.protosw.test.dgram [7] 1.2.3) threw 3 exception(s) into"
                + " the stack (attach 3): its callers got EIO, its packets were dropped; see the log\n");
        assertThat(out(() -> sh.command(new ProtocolsCommand()).protocols())).contains("faults of tdgram: 3 exception(s) (attach 3)\n");
    }

    @Test
    void aThreadStillInsideAfterTheUnloadStoppedWaitingIsOneLinePerSocket() throws Exception {
        sh.stack.stack().sysctl().find("net.protosw.unload_wait_ms").set(100);
        CountDownLatch stall = new CountDownLatch(1);
        sh.tdgram.stall = stall;
        Socket s = sh.stack.stack().socket(AF_INET, SOCK_DGRAM, Shell.TDGRAM);
        Thread inside = Thread.ofPlatform().name("held-in-tdgram").start(() -> {
            try {
                s.setOption(TestDgramProto.TEST_OPT, 1);
            } catch (Exception e) {
                // aborted by the unload: what this test provokes
            }
        });
        try {
            while (((org.protosw.internal.socket.SocketImpl) s).threadsInFlight().isEmpty()) {
                Thread.sleep(1);
            }
            sh.stack.unregister(sh.tdgram);
            String printed = out(() -> diag.diag());
            assertThat(printed.lines()).singleElement().asString()
                    .startsWith("stuck: " + ((org.protosw.internal.socket.SocketImpl) s).describe()
                            + ": thread \"held-in-tdgram\" (WAITING) still inside tdgram from org.protosw.test.dgram [7] 1.2.3"
                            + " since its tdgram unload at ")
                    .endsWith("(stopped waiting after 100 ms, net.protosw.unload_wait_ms); detached when it leaves");
        } finally {
            stall.countDown();
            inside.join(TimeUnit.SECONDS.toMillis(5));
        }
        assertThat(out(() -> diag.diag())).isEqualTo("no problems found\n");
    }

    @Test
    void takesNoArguments() {
        assertThat(error(() -> diag.diag("-v"))).isEqualTo("diag: unexpected '-v' (usage: diag (no arguments))");
    }
}
