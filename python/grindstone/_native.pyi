"""Type stubs of the native module."""

from typing import Any, Optional, Union

__version__: str

def solve(
    challenge: Union[str, dict[str, Any]],
    *,
    scheme: Optional[str] = None,
    timeout: Optional[float] = None,
    threads: int = 0,
    lowest: bool = False,
) -> dict[str, Any]:
    """Solve a captcha-mcp / Grindstone challenge (returns the verify request), or with
    `scheme` an anubis / altcha / altcha-v2 / mcaptcha / cap / go-away challenge (returns
    the peer's answer; `lowest=True`: a decimal scheme's lowest valid number, as the peer's
    own solver). Raises ValueError (bad challenge), TimeoutError, RuntimeError (no
    solution)."""

def solve_salt(
    salt: str, difficulty: float, *, k: int = 1, timeout: Optional[float] = None, threads: int = 0
) -> Union[str, list[str]]:
    """Nonce(s) such that SHA-256(salt + nonce) has `difficulty` leading zero bits."""

def verify(salt: str, nonce: str, difficulty: float) -> bool:
    """Whether SHA-256(salt + nonce) meets `difficulty` bits (ValueError on malformed input)."""

def solve_www_authenticate(header: str, *, timeout: Optional[float] = None, threads: int = 0) -> str:
    """Solve a `WWW-Authenticate: PoW ...` challenge; returns the X-PoW-Solution value."""

def solve_rpc_error(
    error: Union[str, dict[str, Any]], *, timeout: Optional[float] = None, threads: int = 0
) -> dict[str, Any]:
    """Solve a gate's payment-required JSON-RPC error (-32042); returns the `params._meta`
    entry to retry the tools/call with: {"org.paymentauth/credential": {...}}."""

def scope_of_request(body: bytes) -> Optional[str]:
    """`tool:NAME` for an MCP tools/call body, else None."""

class TokenCache:
    """Tokens by gate origin and scope, reused until `margin` seconds before expiry."""

    def __init__(self, margin: int = 10) -> None: ...
    def get(self, gate: str, scope: str) -> Optional[str]: ...
    def put(self, gate: str, token: str) -> bool: ...
    def remove(self, gate: str, scope: str) -> None: ...
