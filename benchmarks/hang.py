"""A receiver that accepts connections, reads the request and never answers (benchmarks only).
Run: python -m benchmarks.hang PORT"""

from __future__ import annotations

import asyncio
import sys


async def _swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while await reader.read(65536):
        pass
    writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(_swallow, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
