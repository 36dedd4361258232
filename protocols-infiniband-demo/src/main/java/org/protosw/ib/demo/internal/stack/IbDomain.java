package org.protosw.ib.demo.internal.stack;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;
import org.protosw.ib.demo.IbConstants;
import org.protosw.ib.demo.IbSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.Domain;
import org.protosw.spi.ProtoContext;

/**
 * The AF_IB domain ({@code struct domain} of Linux's {@code AF_IB}, family 27), named
 * {@code ib}: addresses are {@link IbSockAddr} ({@code [gid]:sid}), and each vnet gets an
 * {@link IbVnet} with its HCA, which the {@code ib-rc} (SOCK_SEQPACKET) and {@code ib-sdp}
 * (SOCK_STREAM) entries share. The {@code ib:} commands find the vnets' HCAs here.
 */
@Component(service = {Domain.class, IbDomain.class})
public final class IbDomain implements Domain {
    private final Map<String, IbVnet> vnets = new ConcurrentHashMap<>();

    @Override
    public int family() {
        return IbConstants.AF_IB;
    }

    @Override
    public String name() {
        return "ib";
    }

    @Override
    public Class<? extends SockAddr> addressType() {
        return IbSockAddr.class;
    }

    @Override
    public SockAddr parseAddress(String text) {
        return IbSockAddr.parse(text == null ? null : text.strip());
    }

    @Override
    public String formatAddress(SockAddr addr) {
        return String.valueOf(addr);
    }

    @Override
    public Object init(ProtoContext ctx) throws SocketException {
        IbVnet v = new IbVnet(ctx);
        vnets.put(ctx.vnet(), v);
        return v;
    }

    @Override
    public void destroy(Object state) {
        if (state instanceof IbVnet v) {
            vnets.remove(v.name(), v);
            v.close();
        }
    }

    /** The domain's state in vnet {@code name}, or null when the domain does not run there. */
    public IbVnet vnet(String name) {
        return vnets.get(name);
    }

    /** Every vnet the domain runs in, by name. */
    public List<IbVnet> vnets() {
        List<IbVnet> l = new ArrayList<>(vnets.values());
        l.sort((a, b) -> a.name().compareTo(b.name()));
        return l;
    }
}
