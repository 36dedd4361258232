package org.protosw.udp.internal;

import java.util.LinkedHashMap;
import java.util.Map;

import org.protosw.spi.Sysctls;
import org.protosw.spi.Tunable;

/** Tunables kept in a map, with the register/find/set rules of the Sysctls contract. */
final class FakeSysctls implements Sysctls {
    final Map<String, FakeTunable> nodes = new LinkedHashMap<>();

    @Override
    public synchronized Tunable register(String name, long defaultValue, long min, long max, String description) {
        if (min > max || defaultValue < min || defaultValue > max) {
            throw new IllegalArgumentException(name + ": bad bounds");
        }
        if (nodes.containsKey(name)) {
            throw new IllegalArgumentException("sysctl " + name + " is already registered");
        }
        FakeTunable t = new FakeTunable(name, description, defaultValue, min, max);
        nodes.put(name, t);
        return t;
    }

    @Override
    public synchronized Tunable find(String name) {
        return nodes.get(name);
    }

    final class FakeTunable implements Tunable {
        final String name;
        final String description;
        final long defaultValue;
        final long min;
        final long max;
        volatile long value;

        FakeTunable(String name, String description, long defaultValue, long min, long max) {
            this.name = name;
            this.description = description;
            this.defaultValue = defaultValue;
            this.min = min;
            this.max = max;
            this.value = defaultValue;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return description;
        }

        @Override
        public long get() {
            return value;
        }

        @Override
        public long min() {
            return min;
        }

        @Override
        public long max() {
            return max;
        }

        @Override
        public long defaultValue() {
            return defaultValue;
        }

        @Override
        public void set(long v) {
            if (v < min || v > max) {
                throw new IllegalArgumentException(name + ": " + v + " outside [" + min + ", " + max + "]");
            }
            value = v;
        }

        @Override
        public void close() {
            synchronized (FakeSysctls.this) {
                nodes.remove(name, this);
            }
        }
    }
}
