#!/usr/bin/env python3
"""Opens many idle connections to a server and reports its memory.

    conns.py h1 HOST:PORT COUNT PID   COUNT HTTP/1.1 keep-alive connections,
                                      one GET /plaintext answered on each
    conns.py h2 HOST:PORT COUNT PID   COUNT HTTP/2 (prior knowledge)
                                      connections, one request answered on each

Prints one JSON line: the connections opened, the requests answered and the
server's resident memory (VmRSS of PID, KiB) once they are all idle. The
connections stay open while it measures, then are closed.
"""

import asyncio
import json
import struct
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from hostile import PREFACE, frame, literal, open_many  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


async def h1(reader, writer, host):
    writer.write(f"GET /plaintext HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return head.startswith(b"HTTP/1.1 200")


async def h2(reader, writer, host):
    block = b"\x82\x86" + literal(4, "/plaintext") + literal(1, host)
    writer.write(PREFACE + frame(4, 0, 0) + frame(1, 0x5, 1, block))
    buffer = b""
    while True:
        data = await reader.read(65536)
        if not data:
            return False
        buffer += data
        while len(buffer) >= 9:
            length = int.from_bytes(buffer[:3], "big")
            if len(buffer) < 9 + length:
                break
            kind, flags = buffer[3], buffer[4]
            stream = struct.unpack(">I", buffer[5:9])[0] & 0x7FFFFFFF
            buffer = buffer[9 + length :]
            if kind == 4 and not flags & 1:
                writer.write(frame(4, 1, 0))
            elif stream == 1 and kind in (0, 1) and flags & 1:
                return True


async def run(protocol, host, port, count, pid):
    conns = await open_many(host, port, count)
    ask = h1 if protocol == "h1" else h2
    gate = asyncio.Semaphore(256)

    async def one(reader, writer):
        async with gate:
            try:
                return await asyncio.wait_for(ask(reader, writer, host), 20)
            except (asyncio.TimeoutError, ConnectionError, OSError, asyncio.IncompleteReadError):
                return False

    answered = sum(await asyncio.gather(*(one(r, w) for r, w in conns)))
    await asyncio.sleep(2)
    rss = rss_kib(pid)
    for _, writer in conns:
        writer.close()
    return {"connections": len(conns), "answered": answered, "rss_kib": rss}


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("h1", "h2"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[2].rsplit(":", 1)
    result = asyncio.run(run(sys.argv[1], host, int(port), int(sys.argv[3]), int(sys.argv[4])))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
