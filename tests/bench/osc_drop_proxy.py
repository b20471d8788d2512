#!/usr/bin/env python3
"""osc_drop_proxy.py LISTEN_PORT SERVER_PORT K: a UDP relay between sclang and one scsynth that drops the K-th
/synced reply the server sends (K > 0), or every one from the |K|-th on (K < 0): the lost datagram of a full
receive buffer on a loaded machine, made to happen on purpose. run_seqpredict_rt.sh's self-check
(CS_BENCH_DROP_SYNCED=K) puts one in front of its first server; it logs each drop to stderr and runs until killed."""
import select
import socket
import sys

listen_port, server_port, k = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind(("127.0.0.1", listen_port))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.bind(("127.0.0.1", 0))
client, n = None, 0
while True:
    ready, _, _ = select.select([front, back], [], [])
    if front in ready:
        data, client = front.recvfrom(65536)
        back.sendto(data, ("127.0.0.1", server_port))
    if back in ready:
        data, _ = back.recvfrom(65536)
        if data.startswith(b"/synced\0"):
            n += 1
            if n == k or (k < 0 and n >= -k):
                print("osc_drop_proxy %d: dropped /synced #%d" % (listen_port, n), file=sys.stderr, flush=True)
                continue
        if client is not None:
            front.sendto(data, client)
