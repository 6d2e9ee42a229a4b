"""HTTP transports that answer proof-of-work gates transparently.

A request that comes back `402` with `WWW-Authenticate: PoW challenge=...` is solved
(in a worker thread for the async transport) and retried once with `X-PoW-Solution`; the
token the gate returns (`X-PoW-Token`) is cached per gate origin and scope and sent with
later requests of that scope (MCP `tools/call` of the same tool) until shortly before it
expires. Identity headers (`Authorization: Bearer ...`) are left alone. A gate configured
with `payment_required_status = 200` sends the same challenge header on a `200` answer:
that is answered the same way. (Without a transport of ours, `grindstone.solve_rpc_error`
answers the JSON-RPC error itself with the `params._meta` entry to retry with.)

Works with both `httpx` and `httpx2` (the HTTP client of the MCP Python SDK 2.x):

    import httpx2
    from grindstone.httpx2 import AsyncPowTransport
    client = httpx2.AsyncClient(transport=AsyncPowTransport())

(`grindstone.httpx` for httpx; `for_module(module)` for any httpx-compatible module.)
"""

from __future__ import annotations

from typing import Any, Optional

from ._native import TokenCache, scope_of_request, solve_www_authenticate

SOLUTION_HEADER = "X-PoW-Solution"
TOKEN_HEADER = "X-PoW-Token"


def _origin(url: Any) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def _pow_challenge(response: Any) -> Optional[str]:
    for value in response.headers.get_list("www-authenticate"):
        if value.strip().lower().startswith("pow "):
            return value
    return None


def _with_headers(module: Any, request: Any, set_: dict, drop: tuple = ()) -> Any:
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in drop]
    headers.extend(set_.items())
    return module.Request(
        request.method,
        request.url,
        headers=headers,
        content=request.content,
        extensions=request.extensions,
    )


def for_module(module: Any):
    """The (sync, async) transport classes for `module` (httpx or httpx2)."""

    class _Common:
        def __init__(
            self,
            transport: Any = None,
            *,
            cache: Optional[TokenCache] = None,
            timeout: Optional[float] = 60.0,
            threads: int = 0,
        ) -> None:
            self._inner = transport
            self.cache = cache if cache is not None else TokenCache()
            self.timeout = timeout
            self.threads = threads
            #: Challenges solved by this transport (for tests and metrics).
            self.solves = 0

        def _prepare(self, request: Any):
            gate = _origin(request.url)
            scope = scope_of_request(request.content) if request.content else None
            token = self.cache.get(gate, scope) if scope else None
            if token:
                request = _with_headers(module, request, {TOKEN_HEADER: token})
            return request, gate, scope, token

        def _retry(self, request: Any, header: str, gate: str, scope: Optional[str], token: Optional[str]):
            if token and scope:
                self.cache.remove(gate, scope)
            value = solve_www_authenticate(header, timeout=self.timeout, threads=self.threads)
            self.solves += 1
            return _with_headers(module, request, {SOLUTION_HEADER: value}, drop=(TOKEN_HEADER.lower(),))

        def _keep(self, response: Any, gate: str) -> None:
            token = response.headers.get(TOKEN_HEADER)
            if token:
                self.cache.put(gate, token)

    class PowTransport(_Common, module.BaseTransport):
        """Synchronous transport wrapping `transport` (default: `HTTPTransport()`)."""

        def __init__(self, transport: Any = None, **kw: Any) -> None:
            super().__init__(transport or module.HTTPTransport(), **kw)

        def handle_request(self, request: Any) -> Any:
            request.read()
            request, gate, scope, token = self._prepare(request)
            response = self._inner.handle_request(request)
            header = _pow_challenge(response) if response.status_code in (200, 402) else None
            if header:
                response.read()
                response.close()
                response = self._inner.handle_request(self._retry(request, header, gate, scope, token))
            self._keep(response, gate)
            return response

        def close(self) -> None:
            self._inner.close()

    class AsyncPowTransport(_Common, module.AsyncBaseTransport):
        """Asynchronous transport wrapping `transport` (default: `AsyncHTTPTransport()`);
        the solve runs in a worker thread, so the event loop keeps running."""

        def __init__(self, transport: Any = None, **kw: Any) -> None:
            super().__init__(transport or module.AsyncHTTPTransport(), **kw)

        async def handle_async_request(self, request: Any) -> Any:
            import anyio.to_thread

            await request.aread()
            request, gate, scope, token = self._prepare(request)
            response = await self._inner.handle_async_request(request)
            header = _pow_challenge(response) if response.status_code in (200, 402) else None
            if header:
                await response.aread()
                await response.aclose()
                retry = await anyio.to_thread.run_sync(self._retry, request, header, gate, scope, token)
                response = await self._inner.handle_async_request(retry)
            self._keep(response, gate)
            return response

        async def aclose(self) -> None:
            await self._inner.aclose()

    return PowTransport, AsyncPowTransport

