package org.protosw.ib.demo.internal.shell;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.protosw.ib.demo.internal.stack.IbDomain;
import org.protosw.ib.demo.internal.stack.IbVnet;
import org.protosw.ib.demo.internal.verbs.QueuePair;
import org.protosw.ib.demo.internal.verbs.QueuePair.QpInfo;

/**
 * {@code ib:qps}: the queue pairs of every vnet (or one), in the manner of
 * {@code rdma resource show qp}: state, peer, PSNs, retries and the per-QP counters.
 */
@Component(service = QpsCommand.class, property = {"osgi.command.scope=ib", "osgi.command.function=qps",
        "protosw.complete=-j=@vnets", "protosw.complete=--vnet=@vnets"})
public final class QpsCommand {
    static final String USAGE = "qps [-j vnet | --vnet vnet]";
    static final String HELP = "ib:qps [-j vnet | --vnet vnet]: the RC queue pairs (one per connected AF_IB socket)\n"
            + "  VNET QPN STATE        the QP and its state (RESET INIT RTR RTS ERROR)\n"
            + "  PEER PEER-QPN         the remote GID and QP\n"
            + "  SQ-PSN SQ-UNA RQ-PSN  next PSN to send, oldest unacknowledged, next PSN expected\n"
            + "  RETRY RNR             retries used / retry_cnt, RNR retries used / rnr_retry (inf: 7)\n"
            + "  WRS                   send work requests outstanding\n"
            + "  OUT IN REXMT TMO      packets sent, received, retransmitted; local ACK timeouts\n"
            + "  RNR-NAK NAK           RNR NAKs and other NAKs received/sent\n"
            + "  DUP OOS ERROR         duplicates, out-of-sequence packets received; why the QP failed\n";

    private final IbDomain domain;

    @Activate
    public QpsCommand(@Reference IbDomain domain) {
        this.domain = domain;
    }

    public void qps(String... argv) {
        System.out.print(execute(argv));
    }

    /** Runs one command line and returns what it prints. */
    public String execute(String... argv) {
        Set<String> flags = new HashSet<>();
        String vnet = Words.vnetOnly("qps", USAGE, argv, flags, "-h", "--help");
        if (!flags.isEmpty()) {
            return HELP;
        }
        List<IbVnet> vnets = vnets(domain, "qps", vnet);
        TextTable t = new TextTable("VNET", ">QPN", "STATE", "PEER", ">PEER-QPN", ">SQ-PSN", ">SQ-UNA", ">RQ-PSN", ">RETRY", ">RNR",
                ">WRS", ">OUT", ">IN", ">REXMT", ">TMO", ">RNR-NAK", ">NAK", ">DUP", ">OOS", "ERROR");
        for (IbVnet v : vnets) {
            List<QueuePair> qps = v.hca().qps();
            qps.sort((a, b) -> Integer.compare(a.qpn, b.qpn));
            for (QueuePair qp : qps) {
                QpInfo i = qp.info();
                t.row(v.name(), hex(i.qpn()), i.state(), i.remoteGid() == null ? "-" : i.remoteGid(),
                        i.remoteGid() == null ? "-" : hex(i.remoteQpn()), i.sqPsn(), i.sqUnacked(), i.rqPsn(),
                        i.retries() + "/" + i.retryCnt(), i.rnrRetries() + "/" + (i.rnrRetry() == 7 ? "inf" : i.rnrRetry()),
                        i.outstandingWrs(), i.pktsSent(), i.pktsRcvd(), i.retransmits(), i.timeouts(),
                        i.rnrNaksRcvd() + "/" + i.rnrNaksSent(), i.naksRcvd() + "/" + i.naksSent(), i.duplicates(),
                        i.outOfSequence(), i.failure() == null ? "-" : i.failure());
            }
        }
        if (t.isEmpty()) {
            return "no queue pairs" + (vnet != null ? " in vnet " + vnet : "") + "\n";
        }
        return t.toString();
    }

    static String hex(int v) {
        return "0x" + Integer.toHexString(v);
    }

    /** The vnets a command covers: {@code name} alone, or all of them; fails naming the known ones. */
    static List<IbVnet> vnets(IbDomain domain, String command, String name) {
        if (name == null) {
            return domain.vnets();
        }
        IbVnet v = domain.vnet(name);
        if (v == null) {
            StringBuilder known = new StringBuilder();
            for (IbVnet x : domain.vnets()) {
                known.append(known.isEmpty() ? "" : ", ").append(x.name());
            }
            throw new CommandException(command + ": the ib domain does not run in vnet '" + name + "' (it runs in: "
                    + (known.isEmpty() ? "none" : known) + ")");
        }
        return List.of(v);
    }
}
