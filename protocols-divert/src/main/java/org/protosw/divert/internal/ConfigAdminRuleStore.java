package org.protosw.divert.internal;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.Map;
import java.util.TreeMap;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rules kept in Configuration Admin under {@value RuleStore#PID}, one property a rule. A
 * separate component so that the bundle works without Configuration Admin (its package
 * import is optional and this component then never activates).
 */
@Component(service = RuleStore.class)
public final class ConfigAdminRuleStore implements RuleStore {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigAdminRuleStore.class);

    private final ConfigurationAdmin cm;

    @Activate
    public ConfigAdminRuleStore(@Reference ConfigurationAdmin cm) {
        this.cm = cm;
    }

    @Override
    public Map<String, String> load() {
        Map<String, String> out = new TreeMap<>();
        try {
            Dictionary<String, Object> props = config().getProperties();
            if (props == null) {
                return out;
            }
            for (Enumeration<String> keys = props.keys(); keys.hasMoreElements();) {
                String k = keys.nextElement();
                if (k.startsWith("rule.") && props.get(k) instanceof String v) {
                    out.put(k, v);
                }
            }
        } catch (IOException e) {
            LOG.warn("divert rules: Configuration Admin could not read {}", PID, e);
        }
        return out;
    }

    @Override
    public void save(Map<String, String> rules) {
        Hashtable<String, Object> props = new Hashtable<>(rules);
        try {
            config().update(props);
        } catch (IOException e) {
            LOG.warn("divert rules: Configuration Admin could not write {}", PID, e);
        }
    }

    /** Not bound to a bundle location: the next revision of this bundle reads it too. */
    private Configuration config() throws IOException {
        return cm.getConfiguration(PID, "?");
    }
}
