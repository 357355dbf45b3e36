"""A peer for bench/net.sh on the other end of `-netdev socket,connect=127.0.0.1:PORT`, speaking QEMU's
socket framing (each frame after its length, 4 bytes big-endian). It counts the guest's bulk frames
(EtherType 0x88b5, init's netflood), and when the guest's ready frame (0x88b6, init's netsink) comes,
sends COUNT frames of SIZE bytes back. Prints what it counted when the guest disconnects.

    python3 bench/lib/netpeer.py PORT COUNT SIZE
"""
import socket
import struct
import sys
import threading

port, count, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(1)
conn, _ = server.accept()
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def read_exactly(n):
    data = bytearray()
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def blast():
    frame = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x03" + b"\x88\xb5" + bytes(i & 0xff for i in range(size - 14))
    burst = (struct.pack(">I", len(frame)) + frame) * 64
    sent = 0
    while sent + 64 <= count:
        conn.sendall(burst)
        sent += 64
    for _ in range(count - sent):
        conn.sendall(struct.pack(">I", len(frame)) + frame)


flood = flood_bytes = 0
while True:
    head = read_exactly(4)
    if head is None:
        break
    frame = read_exactly(struct.unpack(">I", head)[0])
    if frame is None:
        break
    kind = frame[12:14]
    if kind == b"\x88\xb5":
        flood += 1
        flood_bytes += len(frame)
    elif kind == b"\x88\xb6":
        threading.Thread(target=blast, daemon=True).start()
print(f"peer: {flood} frames {flood_bytes} bytes from the guest", flush=True)
