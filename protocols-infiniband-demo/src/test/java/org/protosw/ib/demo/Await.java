package org.protosw.ib.demo;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition (never a fixed sleep): polls until it holds or the bound passes, then fails saying what. */
public final class Await {
    private Await() {
    }

    public static void until(String what, Duration atMost, BooleanSupplier cond) {
        long end = System.nanoTime() + atMost.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + atMost.toSeconds() + " s: " + what);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }
}
