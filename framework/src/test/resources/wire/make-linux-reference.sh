#!/bin/sh
# Makes linux-reference.pcap and linux-reference.fields.tsv beside this script: packets
# written by LINUX's own IP, TCP, UDP and ICMP code (not ours), and the fields tshark
# decodes from them. LinuxReferenceTest parses the same bytes with org.protosw.wire.
#
# Run as root:   sh framework/src/test/resources/wire/make-linux-reference.sh
# Needs: ip (iproute2), ethtool, dumpcap (or tshark), tshark, ping, python3, ss.
#
# Network safety: all traffic stays between two network namespaces this script creates
# (the veth pair is created inside them, never in the host's namespace), with RFC 5737
# addresses 192.0.2.1 and 192.0.2.2; both namespaces are deleted on exit.
#
# What it captures on va (namespace A's end, as it leaves or arrives):
#   - TCP 192.0.2.1:40000 -> 192.0.2.2:7: handshake with Linux's SYN options (MSS, SACK
#     permitted, timestamps, window scale), "protosw reference\n" echoed back, FIN both ways
#   - UDP 192.0.2.1:40001 -> 192.0.2.2:7 "protosw udp\n", echoed back
#   - UDP 192.0.2.1:40002 -> 192.0.2.2:9 (nobody listens): ICMP port unreachable
#   - ICMP echo request and reply (ping -c 1 -s 24 -p 70726f746f737721)
#   - the same with IP options: ping -R (record route, a 60-byte IP header both ways)
#   - UDP 192.0.2.1:40003 -> 192.0.2.2:19 of 2000 bytes (i % 251): two IP fragments
# Transmit checksum offload is switched off on both ends, so the checksums in the file are
# the ones Linux's software computed (with offload, a sender's capture holds only the
# pseudo-header sum).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/linux-reference.pcap
TSV=$HERE/linux-reference.fields.tsv
A=protosw-ref-a-$$
B=protosw-ref-b-$$
WORK=$(mktemp -d)
CAP_PID=
SRV_PID=

cleanup() {
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null || true
    [ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null || true
    ip netns delete "$A" 2>/dev/null || true
    ip netns delete "$B" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ip netns add "$A"
ip netns add "$B"
for ns in "$A" "$B"; do
    # no IPv6 chatter (router solicitations, MLD) in the file
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip -n "$A" link add va address 02:00:00:00:00:01 type veth peer name vb netns "$B" address 02:00:00:00:00:02
ip -n "$A" addr add 192.0.2.1/24 dev va
ip -n "$B" addr add 192.0.2.2/24 dev vb
ip netns exec "$A" ethtool -K va tx off >/dev/null
ip netns exec "$B" ethtool -K vb tx off >/dev/null
ip -n "$A" link set va up
ip -n "$B" link set vb up
# no ARP in the file
ip -n "$A" neigh replace 192.0.2.2 lladdr 02:00:00:00:00:02 dev va nud permanent
ip -n "$B" neigh replace 192.0.2.1 lladdr 02:00:00:00:00:01 dev vb nud permanent

# B: a TCP echo server and a UDP echo server on port 7, each for one exchange, and a UDP
# sink on 19 for the fragmented datagram
cat >"$WORK/server.py" <<'EOF'
import socket
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("192.0.2.2", 7)); t.listen(1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("192.0.2.2", 7))
f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); f.bind(("192.0.2.2", 19))
c, _ = t.accept()
data = b""
while True:
    d = c.recv(4096)
    if not d:
        break
    data += d
    c.sendall(d)
c.close()
d, peer = u.recvfrom(4096); u.sendto(d, peer)
d, _ = f.recvfrom(4096)
assert len(d) == 2000
EOF
cat >"$WORK/client.py" <<'EOF'
import socket
t = socket.socket(); t.bind(("192.0.2.1", 40000)); t.connect(("192.0.2.2", 7))
t.sendall(b"protosw reference\n")
got = b""
while len(got) < 18:
    got += t.recv(4096)
assert got == b"protosw reference\n", got
t.shutdown(socket.SHUT_WR)
assert t.recv(4096) == b""
t.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("192.0.2.1", 40001))
u.sendto(b"protosw udp\n", ("192.0.2.2", 7))
assert u.recvfrom(4096)[0] == b"protosw udp\n"
n = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); n.bind(("192.0.2.1", 40002))
n.connect(("192.0.2.2", 9)); n.send(b"nobody\n")
try:
    n.recv(4096)
    raise SystemExit("expected ECONNREFUSED from the ICMP port unreachable")
except ConnectionRefusedError:
    pass
EOF
cat >"$WORK/frag.py" <<'EOF'
import socket
f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); f.bind(("192.0.2.1", 40003))
f.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT: fragment, no DF
f.sendto(bytes(i % 251 for i in range(2000)), ("192.0.2.2", 19))
EOF

if command -v dumpcap >/dev/null; then CAP=dumpcap; else CAP=tshark; fi
ip netns exec "$A" "$CAP" -q -P -i va -f ip -w "$WORK/cap.pcap" 2>"$WORK/cap.log" &
CAP_PID=$!
i=0
until grep -q "Capturing on" "$WORK/cap.log"; do
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$WORK/cap.log"; exit 1; }; sleep 0.1
done

ip netns exec "$B" python3 "$WORK/server.py" &
SRV_PID=$!
i=0
until ip netns exec "$B" ss -Hltn 'sport = :7' | grep -q LISTEN; do
    i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1
done
ip netns exec "$A" python3 "$WORK/client.py"
ip netns exec "$A" ping -q -n -c 1 -s 24 -p 70726f746f737721 192.0.2.2 >/dev/null
ip netns exec "$A" ping -q -n -c 1 -s 8 -R 192.0.2.2 >/dev/null
ip netns exec "$A" python3 "$WORK/frag.py"
wait "$SRV_PID"
SRV_PID=
sleep 1 # let the capture write the last packets
kill -INT "$CAP_PID"
wait "$CAP_PID" || true
CAP_PID=

cp "$WORK/cap.pcap" "$OUT"
tshark -n -r "$OUT" -o ip.defragment:FALSE -T fields -E header=y -E separator=/t -E occurrence=f \
    -e frame.number -e ip.id -e ip.ttl -e ip.flags -e ip.frag_offset -e ip.proto -e ip.hdr_len -e ip.len -e ip.checksum \
    -e ip.src -e ip.dst \
    -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw -e tcp.flags -e tcp.window_size_value \
    -e tcp.hdr_len -e tcp.len -e tcp.checksum -e tcp.options.mss_val -e tcp.options.wscale.shift \
    -e tcp.options.timestamp.tsval -e tcp.options.timestamp.tsecr \
    -e udp.srcport -e udp.dstport -e udp.length -e udp.checksum \
    -e icmp.type -e icmp.code -e icmp.checksum -e icmp.ident -e icmp.seq \
    >"$TSV"
echo "wrote $OUT ($(wc -c <"$OUT") bytes) and $TSV"
