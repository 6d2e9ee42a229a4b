//! Listening for `grind serve` and `grind gate`: plain HTTP/1.1, or TLS (rustls, HTTP/2 or
//! HTTP/1.1 by ALPN) when given a certificate and key; bounded time for a client to send
//! its request headers and to finish a TLS handshake; graceful shutdown.
//!
//! * **Slow clients.** An HTTP/1 connection that has not sent a complete request head
//!   within [`ServeOptions::header_timeout`] (from connecting, or from the end of the
//!   previous answer on a kept-alive connection) is closed, so a client sending headers
//!   byte by byte, or idling, holds nothing for long. A TLS handshake gets the same time,
//!   and a request body must arrive whole within [`ServeOptions::body_timeout`] of its
//!   head (else the request fails with 400 and the connection closes). At most
//!   [`ServeOptions::max_connections`] connections are served at once; more wait in the
//!   listen backlog, so file descriptors stay available for upstream connections.
//! * **Shutdown.** When the shutdown future resolves the listener is closed (new
//!   connections are refused), idle connections are closed, requests in flight run to
//!   completion, and [`serve`] returns once they are done or after
//!   [`ServeOptions::shutdown_grace`] (long-lived streams such as an MCP SSE `GET` are cut
//!   then).

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
pub use tokio_rustls::TlsAcceptor;
use tower_service::Service;

/// How the server treats its connections.
#[derive(Clone)]
pub struct ServeOptions {
    /// Time a client has to send a request's headers (and to finish a TLS handshake).
    pub header_timeout: Duration,
    /// Time a request body has to arrive, from the end of its head.
    pub body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Time requests in flight get to finish once shutdown starts.
    pub shutdown_grace: Duration,
    /// TLS, when the server terminates it.
    pub tls: Option<TlsAcceptor>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            shutdown_grace: Duration::from_secs(30),
            tls: None,
        }
    }
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the certificate or key.
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Makes `ring` the process's rustls crypto provider, unless one is installed already.
/// HTTP clients built with reqwest need one; call it before building them.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A TLS acceptor from a PEM certificate chain (leaf first) and a PEM private key,
/// offering HTTP/2 and HTTP/1.1.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let pem_err = |p: &Path, e: &dyn std::fmt::Display| TlsError::Pem {
        path: p.display().to_string(),
        reason: e.to_string(),
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| pem_err(cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(cert, &e))?;
    if certs.is_empty() {
        return Err(pem_err(cert, &"no certificate in the file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_err(key, &e))?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key_der)?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(cfg)))
}

/// A request body that fails once its deadline passes before it is read to the end.
struct TimedBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for TimedBody {
    type Data = axum::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(f) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(f.map(|r| r.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err("the request body did not arrive in time".into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Serves one connection (`h2`: HTTP/2, else HTTP/1.1) until it closes or shutdown ends it.
async fn connection<I>(
    io: I,
    h2: bool,
    router: Router,
    peer: SocketAddr,
    opts: (Duration, Duration),
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (header_timeout, body_timeout) = opts;
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let req = req.map(|inner| TimedBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(body_timeout)),
        });
        // A `Router` is always ready: `call` without `poll_ready` is fine.
        router.clone().call(req)
    });
    let io = TokioIo::new(io);
    // Errors here are the client's (reset, timeout, bad HTTP): nothing to report.
    if h2 {
        let mut b = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        b.timer(TokioTimer::new())
            .keep_alive_interval(Some(header_timeout))
            .keep_alive_timeout(header_timeout)
            .max_concurrent_streams(256);
        let _ = watcher.watch(b.serve_connection(io, svc)).await;
    } else {
        let mut b = hyper::server::conn::http1::Builder::new();
        b.timer(TokioTimer::new())
            .header_read_timeout(Some(header_timeout));
        let _ = watcher.watch(b.serve_connection(io, svc)).await;
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then shuts down gracefully
/// (see the [module documentation](self)).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(opts.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    use std::io::ErrorKind::*;
                    if !matches!(e.kind(), ConnectionAborted | ConnectionReset | ConnectionRefused) {
                        // Out of file descriptors or memory: let existing connections drain.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let router = router.clone();
        let watcher = graceful.watcher();
        let t = (opts.header_timeout, opts.body_timeout);
        match &opts.tls {
            None => {
                tokio::spawn(async move {
                    connection(tcp, false, router, peer, t, watcher).await;
                    drop(slot);
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(Ok(tls)) = tokio::time::timeout(t.0, acceptor.accept(tcp)).await else {
                        return;
                    };
                    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                    connection(tls, h2, router, peer, t, watcher).await;
                    drop(slot);
                });
            }
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(opts.shutdown_grace) => {},
    }
    Ok(())
}
