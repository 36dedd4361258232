package org.protosw.internal.kern;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.protosw.socket.NetStack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps tunables in Configuration Admin under the PID {@value #PID}: the default instance's
 * as {@code net.inet.udp.recvspace = 42080}, another instance's as
 * {@code v2/net.inet.udp.recvspace}. With FileInstall watching {@code etc/}, the values land
 * in {@code etc/org.protosw.sysctl.cfg}.
 */
final class SysctlStore {
    static final String PID = "org.protosw.sysctl";
    private static final Logger LOG = LoggerFactory.getLogger(SysctlStore.class);

    private volatile ConfigurationAdmin cm;

    void setConfigurationAdmin(ConfigurationAdmin cm) {
        this.cm = cm;
    }

    SysctlTree.Store forVnet(String vnet) {
        String prefix = NetStack.DEFAULT_VNET.equals(vnet) ? "" : vnet + "/";
        return new SysctlTree.Store() {
            @Override
            public String load(String name) {
                Dictionary<String, Object> props = properties();
                Object v = props == null ? null : props.get(prefix + name);
                return v == null ? null : v.toString();
            }

            @Override
            public void save(String name, String value) {
                ConfigurationAdmin admin = cm;
                if (admin == null) {
                    return;
                }
                try {
                    Configuration c = admin.getConfiguration(PID, "?");
                    Dictionary<String, Object> props = c.getProperties();
                    if (props == null) {
                        props = new Hashtable<>();
                    }
                    props.put(prefix + name, value);
                    c.update(props);
                } catch (IOException e) {
                    LOG.warn("could not save sysctl {}={}: {}", prefix + name, value, e.toString());
                }
            }
        };
    }

    private Dictionary<String, Object> properties() {
        ConfigurationAdmin admin = cm;
        if (admin == null) {
            return null;
        }
        try {
            Configuration[] found = admin.listConfigurations("(service.pid=" + PID + ")");
            return found == null || found.length == 0 ? null : found[0].getProperties();
        } catch (IOException | org.osgi.framework.InvalidSyntaxException e) {
            return null;
        }
    }
}
