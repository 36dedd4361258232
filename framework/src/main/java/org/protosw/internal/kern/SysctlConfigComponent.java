package org.protosw.internal.kern;

import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.protosw.socket.NetStack;
import org.protosw.spi.StringTunable;
import org.protosw.spi.Tunable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the configuration {@value SysctlStore#PID} to the running tunables whenever it
 * changes: an administrator's {@code etc/org.protosw.sysctl.cfg} (read by FileInstall) or
 * another tool's update takes effect without a restart, as {@code sysctl.conf} does at boot.
 * Keys are tunable names for the default instance, {@code vnet/name} for others.
 */
@Component(configurationPid = SysctlStore.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true, service = {})
public final class SysctlConfigComponent {
    private static final Logger LOG = LoggerFactory.getLogger(SysctlConfigComponent.class);

    @Reference
    private StackComponent stack;

    @Activate
    @Modified
    void apply(Map<String, Object> props) {
        for (Map.Entry<String, Object> e : props.entrySet()) {
            String key = e.getKey();
            if (!key.matches("([A-Za-z][A-Za-z0-9_.-]*/)?[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+")) {
                continue; // service.pid, felix.fileinstall.filename and such
            }
            int slash = key.indexOf('/');
            String vnet = slash < 0 ? NetStack.DEFAULT_VNET : key.substring(0, slash);
            String name = key.substring(slash + 1);
            Vnet v = stack.core().vnet(vnet);
            if (v == null) {
                continue; // applied when that vnet is created (its tunables load saved values)
            }
            Tunable t = v.sysctl().find(name);
            if (t == null) {
                applyWord(v.sysctl().findString(name), key, e.getValue().toString().trim());
                continue; // or its protocol is not loaded yet: registration picks the value up
            }
            try {
                long value = Long.parseLong(e.getValue().toString().trim());
                if (t.get() != value) {
                    t.set(value);
                    LOG.info("sysctl {} = {} (from configuration {})", key, value, SysctlStore.PID);
                }
            } catch (NumberFormatException ex) {
                LOG.warn("configuration {}: {} = '{}' is not an integer; ignored", SysctlStore.PID, key, e.getValue());
            } catch (IllegalArgumentException ex) {
                LOG.warn("configuration {}: {}; ignored", SysctlStore.PID, ex.getMessage());
            }
        }
    }

    private static void applyWord(StringTunable t, String key, String value) {
        if (t == null || t.get().equals(value)) {
            return;
        }
        try {
            t.set(value);
            LOG.info("sysctl {} = {} (from configuration {})", key, value, SysctlStore.PID);
        } catch (IllegalArgumentException ex) {
            LOG.warn("configuration {}: {}; ignored", SysctlStore.PID, ex.getMessage());
        }
    }
}
