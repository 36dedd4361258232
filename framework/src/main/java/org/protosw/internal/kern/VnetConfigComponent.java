package org.protosw.internal.kern;

import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.protosw.socket.SocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stack instance per factory configuration of {@value #PID} (e.g. a file
 * {@code etc/org.protosw.vnet-lab.cfg} holding {@code name = lab}): the instance exists
 * while the configuration does.
 */
@Component(configurationPid = VnetConfigComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
public final class VnetConfigComponent {
    static final String PID = "org.protosw.vnet";
    private static final Logger LOG = LoggerFactory.getLogger(VnetConfigComponent.class);

    @Reference
    private StackComponent stack;

    private String name;

    @Activate
    void activate(Map<String, Object> props) {
        Object n = props.get("name");
        if (n == null) {
            LOG.error("configuration {} has no 'name' property: no vnet created (add name = <vnet name>)", props.get("service.pid"));
            return;
        }
        try {
            stack.core().createVnet(n.toString().trim());
            name = n.toString().trim();
        } catch (SocketException e) {
            LOG.error("configuration {}: vnet not created: {}", props.get("service.pid"), e.getMessage());
        }
    }

    @Deactivate
    void deactivate() {
        if (name != null) {
            try {
                stack.core().destroyVnet(name);
            } catch (SocketException e) {
                LOG.debug("vnet {} was already destroyed", name);
            }
        }
    }
}
