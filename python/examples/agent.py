import os, anyio, httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from grindstone.httpx2 import AsyncPowTransport
async def main(url=os.environ.get("GATE_URL", "http://127.0.0.1:8788/mcp")):
    http = httpx2.AsyncClient(transport=AsyncPowTransport(), headers={"Authorization": "Bearer agent-1"})
    async with streamable_http_client(url, http_client=http) as (read, write, *_), ClientSession(read, write) as s:
        await s.initialize()
        print((await s.call_tool("search", {"query": "grindstone"})).content[0].text)
anyio.run(main)
