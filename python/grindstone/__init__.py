"""Grindstone: solve and verify proof-of-work challenges, fast (Rust, SIMD), and answer
PoW-gated HTTP and MCP servers transparently.

    >>> import grindstone
    >>> nonce = grindstone.solve_salt("hello", 12)
    >>> grindstone.verify("hello", nonce, 12)
    True

The solver runs with the GIL released. Bad input raises ValueError, a timeout
TimeoutError. See `grindstone.transport` for httpx / httpx2 transports that answer
`402 WWW-Authenticate: PoW` challenges on their own.
"""

from ._native import (
    TokenCache,
    __version__,
    scope_of_request,
    solve,
    solve_rpc_error,
    solve_salt,
    solve_www_authenticate,
    verify,
)

__all__ = [
    "TokenCache",
    "__version__",
    "scope_of_request",
    "solve",
    "solve_rpc_error",
    "solve_salt",
    "solve_www_authenticate",
    "verify",
]
