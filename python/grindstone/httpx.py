"""Transports for `httpx` that answer proof-of-work gates transparently (see
`grindstone.transport`): `PowTransport` (sync) and `AsyncPowTransport` (async)."""

import httpx as _module

from .transport import for_module

PowTransport, AsyncPowTransport = for_module(_module)

__all__ = ["PowTransport", "AsyncPowTransport"]
