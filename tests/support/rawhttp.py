"""The cheapest HTTP client the benchmarks' load generators could use: one
asyncio connection per request, the body as given, only the status read
back (urllib and a thread per request took CPU the measured system needs)."""
from __future__ import annotations

import asyncio


async def post_status(port: int, path: str, body: bytes) -> int:
    """POST ``body`` (JSON) to ``path`` on loopback with ``Connection: close``;
    the status of the answer. Raises OSError when the connection fails and
    ValueError when the answer is not an HTTP status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                     "Connection: close\r\n\r\n".encode() + body)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
    return int(answer[9:12])
