//! A `reqwest` client that pays PoW gates transparently (cargo feature `reqwest`, on by
//! default).
//!
//! [`PowClient::execute`] sends a request; when the answer is `402` with
//! `WWW-Authenticate: PoW ...`, it solves the challenge on a blocking thread (so the async
//! runtime keeps running), retries once with `X-PoW-Solution`, and caches the
//! `X-PoW-Token` the gate returns per gate origin and scope ([`TokenCache`]); later
//! requests of that scope (MCP `tools/call` of the same tool) carry the token until
//! shortly before it expires, and pay nothing. Other headers (`Authorization: Bearer
//! ...`) are left alone.
//!
//! ```no_run
//! # async fn demo() -> Result<(), grindstone::http::PowError> {
//! let client = grindstone::http::PowClient::with_defaults()?;
//! let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search"}}"#;
//! let req = client
//!     .inner()
//!     .post("http://127.0.0.1:8788/mcp")
//!     .header("content-type", "application/json")
//!     .body(call)
//!     .build()?;
//! let resp = client.execute(req).await?; // 402 answered behind the scenes
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::header::{HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Request, Response, StatusCode};

use crate::client::{
    SOLUTION_HEADER, TOKEN_HEADER, TokenCache, pow_challenge_in_list, scope_of_request,
};
use crate::{SolveError, SolveOptions, unix_now};

/// Why a request through [`PowClient`] failed.
#[derive(Debug, thiserror::Error)]
pub enum PowError {
    /// The HTTP exchange failed.
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    /// The gate's challenge could not be solved (bad header, timeout).
    #[error("cannot pay the gate's proof of work: {0}")]
    Solve(#[from] SolveError),
    /// The request body is a stream, which cannot be sent twice.
    #[error("the request cannot be retried: its body is a stream")]
    NotRetryable,
    /// The solving thread did not finish (the runtime shut down, or it panicked).
    #[error("the solving thread failed: {0}")]
    Worker(String),
}

/// A `reqwest::Client` wrapper that answers `402` PoW challenges (see the
/// [module documentation](self)). Cheap to clone; clones share the token cache.
#[derive(Debug, Clone)]
pub struct PowClient {
    inner: reqwest::Client,
    cache: Arc<TokenCache>,
    opts: SolveOptions,
    solves: Arc<AtomicU64>,
}

/// The `scheme://host:port` a token is good for.
fn origin(url: &reqwest::Url) -> String {
    match url.port() {
        Some(p) => format!("{}://{}:{p}", url.scheme(), url.host_str().unwrap_or("")),
        None => format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
    }
}

/// The `PoW` challenge of a `402` answer, if it has one (or of a `200` one: a gate
/// configured with `payment_required_status = 200` sends the challenge header too).
fn pow_challenge(resp: &Response) -> Option<String> {
    if !matches!(resp.status(), StatusCode::PAYMENT_REQUIRED | StatusCode::OK) {
        return None;
    }
    resp.headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(pow_challenge_in_list)
}

/// A `reqwest::ClientBuilder` ready for HTTPS: it makes `ring` the process's rustls
/// provider first (grindstone builds reqwest with rustls but without a default provider,
/// to stay free of C build dependencies). Roots are the platform's; add a private CA with
/// [`reqwest::ClientBuilder::tls_certs_merge`] or [`tls_certs_only`](reqwest::ClientBuilder::tls_certs_only).
pub fn client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder()
}

/// Makes `ring` the process's rustls crypto provider unless one is installed already; a
/// `reqwest::Client` cannot be built for HTTPS without one.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl PowClient {
    /// A client with reqwest's defaults (HTTPS with the platform's roots; see
    /// [`client_builder`]), solving with the default options and a 60-second timeout.
    pub fn with_defaults() -> Result<Self, PowError> {
        Ok(Self::new(client_builder().build()?))
    }

    /// Wraps `inner`, solving with the default options and a 60-second timeout. Build
    /// `inner` with [`client_builder`] (or call [`install_crypto_provider`] first).
    pub fn new(inner: reqwest::Client) -> Self {
        Self {
            inner,
            cache: Arc::new(TokenCache::default()),
            opts: SolveOptions {
                timeout: Some(std::time::Duration::from_secs(60)),
                ..Default::default()
            },
            solves: Arc::default(),
        }
    }

    /// The same client solving with `opts` (threads, timeout, backend).
    pub fn with_options(mut self, opts: SolveOptions) -> Self {
        self.opts = opts;
        self
    }

    /// The same client with a shared token cache.
    pub fn with_cache(mut self, cache: Arc<TokenCache>) -> Self {
        self.cache = cache;
        self
    }

    /// The wrapped client, to build requests with.
    pub fn inner(&self) -> &reqwest::Client {
        &self.inner
    }

    /// The token cache.
    pub fn cache(&self) -> &TokenCache {
        &self.cache
    }

    /// Challenges solved so far (by this client and its clones).
    pub fn solves(&self) -> u64 {
        self.solves.load(Ordering::Relaxed)
    }

    /// Sends `req`, paying the gate's proof of work if it asks for it.
    pub async fn execute(&self, mut req: Request) -> Result<Response, PowError> {
        let gate = origin(req.url());
        let scope = req
            .body()
            .and_then(|b| b.as_bytes())
            .and_then(scope_of_request);
        let token = scope
            .as_deref()
            .and_then(|s| self.cache.get(&gate, s, unix_now()));
        if let Some(t) = &token
            && let Ok(v) = HeaderValue::from_str(t)
        {
            req.headers_mut().insert(TOKEN_HEADER, v);
        }
        let retry = req.try_clone();
        let resp = self.inner.execute(req).await?;
        let Some(challenge) = pow_challenge(&resp) else {
            self.keep(&resp, &gate);
            return Ok(resp);
        };
        let mut retry = retry.ok_or(PowError::NotRetryable)?;
        if token.is_some()
            && let Some(s) = &scope
        {
            self.cache.remove(&gate, s);
        }
        drop(resp);
        let opts = self.opts.clone();
        let value = tokio::task::spawn_blocking(move || {
            crate::client::solve_www_authenticate(&challenge, &opts)
        })
        .await
        .map_err(|e| PowError::Worker(e.to_string()))??;
        self.solves.fetch_add(1, Ordering::Relaxed);
        retry.headers_mut().remove(TOKEN_HEADER);
        retry.headers_mut().insert(
            SOLUTION_HEADER,
            HeaderValue::from_str(&value).map_err(|e| PowError::Worker(e.to_string()))?,
        );
        let resp = self.inner.execute(retry).await?;
        self.keep(&resp, &gate);
        Ok(resp)
    }

    fn keep(&self, resp: &Response, gate: &str) {
        if let Some(t) = resp
            .headers()
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            self.cache.put(gate, t);
        }
    }
}
