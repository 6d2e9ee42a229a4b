"""Python tests: round trips, errors, and the transports against a real `grind gate` in
front of a real MCP server, through the official MCP Python SDK."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

import grindstone

ROOT = Path(__file__).resolve().parents[2]
GRIND = os.environ.get("GRIND_BIN", str(ROOT / "target" / "debug" / "grind"))
UPSTREAM = ROOT / "cli" / "tests" / "python" / "upstream_mcp.py"


def test_solve_and_verify_round_trips():
    nonce = grindstone.solve_salt("python", 14)
    assert grindstone.verify("python", nonce, 14)
    assert not grindstone.verify("python", nonce + "x", 30)
    nonces = grindstone.solve_salt("python", 12, k=4)
    assert len(set(nonces)) == 4 and all(grindstone.verify("python", n, 10) for n in nonces)
    req = grindstone.solve({"id": "c1", "salt": "abcd", "difficulty": 10, "signature": "s"})
    assert req["id"] == "c1" and grindstone.verify("abcd", req["nonce"], 10)
    req = grindstone.solve(json.dumps({"salt": "abcd", "difficulty": 8}))
    assert grindstone.verify("abcd", req["nonce"], 8)
    anubis = {"rules": {"algorithm": "fast", "difficulty": 2}, "challenge": {"id": "x", "randomData": "ab"}}
    ans = grindstone.solve(anubis, scheme="anubis")
    assert ans["response"].startswith("00")
    # The fast layout's number (a leading 1, zeros, the digits searched), or the lowest.
    assert 10**12 <= ans["nonce"] < 2**53
    low = grindstone.solve(anubis, scheme="anubis", lowest=True)
    assert low["response"].startswith("00") and low["nonce"] < 10**6


def test_errors_are_clear_python_exceptions():
    with pytest.raises(TimeoutError, match="no solution within"):
        grindstone.solve_salt("slow", 64, timeout=0.2)
    with pytest.raises(ValueError, match="PoW"):
        grindstone.solve_www_authenticate('Bearer realm="x"')
    with pytest.raises(ValueError):
        grindstone.solve_www_authenticate('PoW challenge="broken"')
    with pytest.raises(ValueError, match="salt"):
        grindstone.solve_salt("", 4)
    with pytest.raises(ValueError, match="difficulty"):
        grindstone.solve_salt("x", 300)
    with pytest.raises(ValueError):
        grindstone.verify("x", "bad\x01", 1)
    with pytest.raises(ValueError):
        grindstone.solve({"salt": 5})
    with pytest.raises(ValueError):
        grindstone.solve_salt("x", 4, timeout=-1)


def test_solver_releases_the_gil():
    import threading

    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.005)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        with pytest.raises(TimeoutError):
            grindstone.solve_salt("gil", 64, timeout=0.5)
    finally:
        stop.set()
        t.join()
    assert len(ticks) > 20, "another Python thread ran while the solver worked"


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _wait(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def gate(tmp_path_factory):
    if not Path(GRIND).exists():
        pytest.fail(f"the grind binary is missing at {GRIND} (build it, or set GRIND_BIN)")
    up_port = _free_port()
    upstream = subprocess.Popen(
        [sys.executable, str(UPSTREAM), str(up_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait(up_port)
    cfg = tmp_path_factory.mktemp("gate") / "gate.toml"
    cfg.write_text(
        "clock_skew_secs = 0\ntoken_ttl_secs = 3\n[pricing]\ndefault = 0\nfree = [\"status\"]\n"
        "[pricing.tools]\nsearch = 12\n"
    )
    proc = subprocess.Popen(
        [GRIND, "gate", "--upstream", f"http://127.0.0.1:{up_port}/mcp", "--config", str(cfg), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, GRIND_GATE_KEY="python-test-key-0123456789"),
    )
    addr = None
    for line in proc.stderr:
        if "listening on http://" in line:
            addr = line.split("listening on http://")[1].split(",")[0].strip()
            break
    assert addr, "grind gate did not start"
    yield f"http://{addr}/mcp"
    proc.kill()
    upstream.kill()
    proc.wait()
    upstream.wait()


def test_mcp_sdk_through_the_async_transport(gate):
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from grindstone.httpx2 import AsyncPowTransport

    transport = AsyncPowTransport()

    async def run():
        http = httpx2.AsyncClient(transport=transport, headers={"Authorization": "Bearer agent-7"})
        async with streamable_http_client(gate, http_client=http) as streams:
            async with ClientSession(streams[0], streams[1]) as s:
                await s.initialize()
                tools = await s.list_tools()
                assert {t.name for t in tools.tools} == {"search", "status", "slow"}
                assert transport.solves == 0, "tools/list is free"
                assert json.loads((await s.call_tool("status", {})).content[0].text) == {"ok": True}
                assert transport.solves == 0
                seen = json.loads((await s.call_tool("search", {"query": "q1"})).content[0].text)
                assert seen["query"] == "q1" and transport.solves == 1
                assert seen["authorization"] == "Bearer agent-7", "identity passes through"
                assert seen["x_pow_solution"] is None and seen["x_pow_token"] is None
                seen = json.loads((await s.call_tool("search", {"query": "q2"})).content[0].text)
                assert seen["query"] == "q2" and transport.solves == 1, "the token was reused"
                await anyio.sleep(3.5)
                seen = json.loads((await s.call_tool("search", {"query": "q3"})).content[0].text)
                assert seen["query"] == "q3" and transport.solves == 2, "expired token: a fresh solve"

    anyio.run(run)


@pytest.mark.parametrize("module", ["httpx2", "httpx"])
def test_sync_transport(gate, module):
    import importlib

    if os.environ.get("CI"):
        httpx2 = importlib.import_module(module)
    else:
        httpx2 = pytest.importorskip(module)
    PowTransport = importlib.import_module(f"grindstone.{module}").PowTransport

    transport = PowTransport(timeout=30)
    hdrs = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    with httpx2.Client(transport=transport, headers=hdrs, timeout=30) as c:
        r = c.post(gate, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        sid = {"mcp-session-id": r.headers["mcp-session-id"]}
        c.post(gate, headers=sid, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "search", "arguments": {"query": "s"}}}
        r = c.post(gate, headers=sid, json=call)
        assert r.status_code == 200 and transport.solves == 1
        r = c.post(gate, headers=sid, json=call)
        assert r.status_code == 200 and transport.solves == 1
        # Without the transport, the same call is refused with a PoW challenge.
    r = httpx2.post(gate, headers={**hdrs, **sid}, json=call)
    assert r.status_code == 402 and r.headers["www-authenticate"].startswith("PoW ")


@pytest.mark.parametrize("module", ["httpx2", "httpx"])
def test_async_transport_without_the_sdk(gate, module):
    import importlib

    http = importlib.import_module(module) if os.environ.get("CI") else pytest.importorskip(module)
    AsyncPowTransport = importlib.import_module(f"grindstone.{module}").AsyncPowTransport
    hdrs = {"accept": "application/json, text/event-stream", "content-type": "application/json"}

    async def run():
        transport = AsyncPowTransport(timeout=30)
        async with http.AsyncClient(transport=transport, headers=hdrs, timeout=30) as c:
            r = await c.post(gate, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
            sid = {"mcp-session-id": r.headers["mcp-session-id"]}
            await c.post(gate, headers=sid, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
            call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                    "params": {"name": "search", "arguments": {"query": "a"}}}
            for expected_solves in (1, 1):
                r = await c.post(gate, headers=sid, json=call)
                assert r.status_code == 200 and transport.solves == expected_solves

    anyio.run(run)


def test_readme_agent_example(gate):
    out = subprocess.run(
        [sys.executable, str(ROOT / "python" / "examples" / "agent.py")],
        env=dict(os.environ, GATE_URL=gate),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["query"] == "grindstone"


def test_payment_inside_json_rpc_without_headers(gate):
    """A client that reads only JSON-RPC: the -32042 error, `solve_rpc_error`, `_meta`."""
    import importlib

    http = importlib.import_module("httpx2") if os.environ.get("CI") else pytest.importorskip("httpx2")
    hdrs = {"accept": "application/json, text/event-stream", "content-type": "application/json",
            "mcp-protocol-version": "2025-06-18"}
    with http.Client(headers=hdrs, timeout=30) as c:
        r = c.post(gate, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        sid = {"mcp-session-id": r.headers["mcp-session-id"]}
        c.post(gate, headers=sid, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "search", "arguments": {"query": "m"}}}
        err = c.post(gate, headers=sid, json=call).json()
        assert err["error"]["code"] == -32042, err
        meta = grindstone.solve_rpc_error(err, timeout=30)
        assert set(meta) == {"org.paymentauth/credential"}, meta
        r = c.post(gate, headers=sid, json={**call, "params": {**call["params"], "_meta": meta}})
        assert r.status_code == 200, r.text
        data = [l[5:].strip() for l in r.text.splitlines() if l.startswith("data:")]
        answer = json.loads(data[-1]) if data else r.json()
        assert answer["result"]["_meta"]["org.paymentauth/receipt"]["status"] == "success", answer
    with pytest.raises(ValueError):
        grindstone.solve_rpc_error({"error": {"code": -32042, "data": {}}})
