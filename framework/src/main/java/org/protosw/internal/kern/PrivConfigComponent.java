package org.protosw.internal.kern;

import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.protosw.internal.priv.PrivTable;

/**
 * Applies the configuration {@value PrivTable#PID} (an administrator's
 * {@code etc/org.protosw.priv.cfg}, read by FileInstall) to the rights table whenever it
 * changes; deleted, the defaults apply again.
 */
@Component(configurationPid = PrivTable.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true, service = {})
public final class PrivConfigComponent {

    @Reference
    private StackComponent stack;

    @Activate
    @Modified
    void apply(Map<String, Object> props) {
        stack.core().registry().privs().configure(props);
    }

    @Deactivate
    void removed() {
        stack.core().registry().privs().configure(null);
    }
}
