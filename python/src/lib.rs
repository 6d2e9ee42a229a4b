//! `grindstone._native`: the Python extension module. The solver runs with the GIL
//! released; bad input raises `ValueError`, a timeout `TimeoutError`, an unsolvable
//! challenge `RuntimeError`.

use std::time::Duration;

use grindstone::client::{self, TokenCache};
use grindstone::core::schemes::Scheme;
use grindstone::core::schemes::captcha_mcp::ChallengeMsg;
use grindstone::core::schemes::decimal::DecimalOrder;
use grindstone::core::schemes::sha256_bits::Sha256Bits;
use grindstone::core::{Difficulty, VerifyError};
use grindstone::{Challenge, SolveError, SolveOptions};
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;

fn opts(timeout: Option<f64>, threads: usize) -> PyResult<SolveOptions> {
    let timeout = match timeout {
        None => None,
        Some(t) if t.is_finite() && t > 0.0 => Some(Duration::from_secs_f64(t)),
        Some(t) => {
            return Err(PyValueError::new_err(format!(
                "timeout must be a positive number of seconds, not {t}"
            )));
        }
    };
    Ok(SolveOptions {
        threads,
        timeout,
        ..Default::default()
    })
}

fn to_py(e: SolveError) -> PyErr {
    match e {
        SolveError::BadInput(e) => PyValueError::new_err(e.to_string()),
        SolveError::Searcher(e) => PyValueError::new_err(e.to_string()),
        e @ SolveError::TimedOut { .. } => PyTimeoutError::new_err(e.to_string()),
        e => PyRuntimeError::new_err(e.to_string()),
    }
}

/// A JSON string, or a dict serialised with Python's `json` module.
fn json_text(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = obj.extract::<String>() {
        return Ok(s);
    }
    let json = py.import("json")?;
    json.call_method1("dumps", (obj,))?.extract()
}

fn from_json<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// Solves a challenge and returns what to send back.
///
/// `challenge` is the JSON (str or dict) of a captcha-mcp / Grindstone challenge
/// `{id, salt, difficulty, signature, k?}` (returns the `verify` request dict), or, with
/// `scheme` set to `anubis`, `altcha`, `altcha-v2`, `mcaptcha`, `cap` or `go-away`, that
/// peer's challenge (returns the peer's answer dict). `lowest=True`: a decimal scheme
/// (anubis, mcaptcha, cap) answers its lowest valid number, as the peer's own solver,
/// rather than the number laid out for the kernels.
#[pyfunction]
#[pyo3(signature = (challenge, *, scheme = None, timeout = None, threads = 0, lowest = false))]
fn solve<'py>(
    py: Python<'py>,
    challenge: &Bound<'py, PyAny>,
    scheme: Option<String>,
    timeout: Option<f64>,
    threads: usize,
    lowest: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let text = json_text(py, challenge)?;
    let mut o = opts(timeout, threads)?;
    if lowest {
        o.order = DecimalOrder::Lowest;
    }
    let out: Result<String, SolveError> = py.detach(|| match scheme.as_deref() {
        None | Some("sha256-bits") => {
            let msg = ChallengeMsg::parse(&text)?;
            let s = grindstone::solve(&Challenge::Sha256Bits(msg.challenge()?), &o)?;
            Ok(msg.verify_msg(&s.nonces).to_json())
        }
        Some(other) => {
            let scheme = other
                .parse::<Scheme>()
                .map_err(grindstone::core::Error::from)?;
            grindstone::peers::solve(scheme, &text, &o).map(|s| s.response.to_string())
        }
    });
    from_json(py, &out.map_err(to_py)?)
}

/// Finds `k` nonces (one when `k = 1`) such that SHA-256(salt + nonce) meets
/// `difficulty` bits (each `difficulty - log2 k` when `k > 1`). Returns a str, or a list
/// of `k` str.
#[pyfunction]
#[pyo3(signature = (salt, difficulty, *, k = 1, timeout = None, threads = 0))]
fn solve_salt<'py>(
    py: Python<'py>,
    salt: &str,
    difficulty: f64,
    k: u32,
    timeout: Option<f64>,
    threads: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let c = Difficulty::new(difficulty)
        .and_then(|d| Sha256Bits::new(salt, d))
        .and_then(|c| c.with_solutions(k))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let o = opts(timeout, threads)?;
    let s = py
        .detach(|| grindstone::solve(&Challenge::Sha256Bits(c), &o))
        .map_err(to_py)?;
    if k == 1 {
        Ok(s.nonce.into_pyobject(py)?.into_any())
    } else {
        Ok(s.nonces.into_pyobject(py)?.into_any())
    }
}

/// Whether SHA-256(salt + nonce) meets `difficulty` bits. Raises `ValueError` on input
/// that is not a possible solution at all (empty, non-printable, oversized).
#[pyfunction]
fn verify(salt: &str, nonce: &str, difficulty: f64) -> PyResult<bool> {
    match grindstone::verify_sha256_bits(salt, nonce, difficulty) {
        Ok(_) => Ok(true),
        Err(VerifyError::Rejected(_)) => Ok(false),
        Err(VerifyError::Malformed(e)) => Err(PyValueError::new_err(e.to_string())),
    }
}

/// Solves the challenge of a `WWW-Authenticate: PoW ...` value (a gate's 402 answer) and
/// returns the `X-PoW-Solution` header value to retry with.
#[pyfunction]
#[pyo3(signature = (header, *, timeout = None, threads = 0))]
fn solve_www_authenticate(
    py: Python<'_>,
    header: &str,
    timeout: Option<f64>,
    threads: usize,
) -> PyResult<String> {
    let o = opts(timeout, threads)?;
    let h = header.to_string();
    py.detach(|| client::solve_www_authenticate(&h, &o))
        .map_err(to_py)
}

/// Solves a gate's payment-required JSON-RPC error (code -32042 or -32043; the message,
/// its `error` or its `data`, as a str or dict) and returns the `params._meta` entry to
/// retry the same `tools/call` with: `{"org.paymentauth/credential": {...}}`.
#[pyfunction]
#[pyo3(signature = (error, *, timeout = None, threads = 0))]
fn solve_rpc_error<'py>(
    py: Python<'py>,
    error: &Bound<'py, PyAny>,
    timeout: Option<f64>,
    threads: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let o = opts(timeout, threads)?;
    let text = json_text(py, error)?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| PyValueError::new_err(format!("error JSON: {e}")))?;
    let entry = py
        .detach(|| client::solve_rpc_error(&v, &o))
        .map_err(to_py)?;
    from_json(py, &entry.to_string())
}

/// The scope a request body needs at a gate (`tool:NAME` for an MCP tools/call), or None.
#[pyfunction]
fn scope_of_request(body: &[u8]) -> Option<String> {
    client::scope_of_request(body)
}

/// Tokens by gate and scope, reused until shortly before they expire.
#[pyclass(name = "TokenCache", frozen)]
struct PyTokenCache(TokenCache);

#[pymethods]
impl PyTokenCache {
    #[new]
    #[pyo3(signature = (margin = 10))]
    fn new(margin: i64) -> Self {
        Self(TokenCache::new(margin))
    }

    /// A token still good for `gate` (an origin) and `scope`, or None.
    fn get(&self, gate: &str, scope: &str) -> Option<String> {
        self.0.get(gate, scope, grindstone::unix_now())
    }

    /// Keeps `token` for `gate`; returns False when it is not a readable gate token.
    fn put(&self, gate: &str, token: &str) -> bool {
        self.0.put(gate, token)
    }

    /// Forgets the token for `gate` and `scope`.
    fn remove(&self, gate: &str, scope: &str) {
        self.0.remove(gate, scope)
    }
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(solve, m)?)?;
    m.add_function(wrap_pyfunction!(solve_salt, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(solve_www_authenticate, m)?)?;
    m.add_function(wrap_pyfunction!(solve_rpc_error, m)?)?;
    m.add_function(wrap_pyfunction!(scope_of_request, m)?)?;
    m.add_class::<PyTokenCache>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
