//! `grind serve` (the verify endpoint and MCP tools) and `grind gate` (the gating proxy).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use grindstone_gate::config::GateConfig;
use grindstone_gate::http::{self, Api};
use grindstone_gate::mcp::{GateTools, serve_stdio};
use grindstone_gate::proxy::Proxy;
use grindstone_gate::server::{self, ServeOptions};
use grindstone_gate::{Gate, KeySource, ReplayStore};

use super::{CmdResult, Failure, bad, duration_arg, fail};

/// Where spent challenge ids are kept (`--store`).
#[derive(Debug, Clone, PartialEq)]
pub enum StoreSpec {
    /// In this process only (`memory`).
    Memory,
    /// In Redis (`redis://...` or `rediss://...`).
    Redis(String),
    /// In a database file.
    File(PathBuf),
}

fn parse_store(s: &str) -> Result<StoreSpec, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty store: give a file path, `memory` or a redis:// URL".into());
    }
    Ok(if t == "memory" {
        StoreSpec::Memory
    } else if t.starts_with("redis://")
        || t.starts_with("rediss://")
        || t.starts_with("redis+unix://")
    {
        StoreSpec::Redis(t.to_string())
    } else {
        StoreSpec::File(PathBuf::from(t))
    })
}

/// Options shared by `serve` and `gate`.
#[derive(clap::Args, Debug)]
pub struct GateArgs {
    /// Address to listen on (loopback unless you say otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// TOML configuration: prices, lifetimes, dynamic difficulty (see the README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Default difficulty in bits (overrides the config's `pricing.default`).
    #[arg(long, short = 'd', value_name = "BITS")]
    pub difficulty: Option<f64>,
    /// Token lifetime (e.g. 5m; overrides the config).
    #[arg(long, value_name = "DURATION", value_parser = duration_arg)]
    pub token_ttl: Option<Duration>,
    /// Replay store: a database folder (durable across restarts and crashes; one
    /// process at a time), `memory` (this process only: a restart forgets what was
    /// spent), or `redis://host:port/db` (shared by several instances). Default: the
    /// folder $XDG_STATE_HOME/grindstone/spent-serve (or spent-gate; ~/.local/state when
    /// XDG_STATE_HOME is unset) when the key persists, memory with a random key.
    #[arg(long, value_name = "PATH|memory|redis://...", value_parser = parse_store)]
    pub store: Option<StoreSpec>,
    /// Share the replay store through Redis (the same as `--store redis://...`).
    #[arg(long, value_name = "URL", conflicts_with = "store")]
    pub redis: Option<String>,
    /// Key file (one key per line, newest first) or directory of key files; SIGHUP
    /// reloads it. GRIND_GATE_KEY (keys separated by commas) takes precedence.
    #[arg(long, value_name = "FILE|DIR")]
    pub key_file: Option<PathBuf>,
    /// Host header values to accept on /mcp besides loopback (DNS-rebinding protection).
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Time a client gets to send its request headers (and to finish a TLS handshake);
    /// also how long an idle connection is kept.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration_arg)]
    pub header_timeout: Duration,
    /// Time a request body has to arrive, from the end of its head.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration_arg)]
    pub body_timeout: Duration,
    /// Connections served at once (more wait in the listen backlog); keep it below
    /// `ulimit -n`.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_connections: usize,
    /// On SIGTERM or Ctrl-C: how long requests in flight get to finish.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration_arg)]
    pub shutdown_grace: Duration,
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub gate: GateArgs,
    /// Port (0 picks a free one; the address is printed on stderr).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Serve the MCP tools over stdin/stdout instead of HTTP.
    #[arg(long)]
    pub stdio: bool,
    /// Scope of challenges handed out by `challenge` and `/api/challenge`.
    #[arg(long, default_value = "api")]
    pub scope: String,
}

#[derive(clap::Args, Debug)]
pub struct GateProxyArgs {
    #[command(flatten)]
    pub gate: GateArgs,
    /// The MCP server to protect (Streamable HTTP endpoint, e.g. http://127.0.0.1:8000/mcp
    /// or https://...).
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// PEM certificate(s) of a private CA to trust for an https:// upstream, besides the
    /// platform's roots.
    #[arg(long, value_name = "FILE")]
    pub upstream_ca: Option<PathBuf>,
    /// Port (0 picks a free one; the address is printed on stderr).
    #[arg(long, default_value_t = 8788)]
    pub port: u16,
}

/// The default folder of the durable replay store of `command` (`serve` or `gate`).
fn default_store_path(command: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/state"))
        })?;
    Some(base.join("grindstone").join(format!("spent-{command}")))
}

/// The gate, and a line describing its keys and store for the startup message.
async fn build_gate(
    a: &GateArgs,
    command: &str,
) -> Result<(Arc<Gate>, KeySource, String), Failure> {
    let mut cfg = match &a.config {
        Some(p) => GateConfig::from_file(p).map_err(bad)?,
        None => GateConfig::default(),
    };
    if let Some(d) = a.difficulty {
        cfg.pricing.default = d;
    }
    if let Some(t) = a.token_ttl {
        cfg.token_ttl_secs = t.as_secs();
    }
    cfg.validate().map_err(bad)?;
    let env_key = std::env::var("GRIND_GATE_KEY").ok();
    let source = KeySource::pick(env_key.as_deref(), a.key_file.as_deref());
    let keys = source.load().map_err(bad)?;
    let spec = match (&a.store, &a.redis) {
        (_, Some(url)) => StoreSpec::Redis(url.clone()),
        (Some(s), None) => s.clone(),
        (None, None) if source.persists() => StoreSpec::File(default_store_path(command).ok_or_else(|| {
            bad(anyhow!(
                "neither XDG_STATE_HOME nor HOME is set: give the replay store's file with --store PATH"
            ))
        })?),
        (None, None) => StoreSpec::Memory,
    };
    let (store, store_desc) = match &spec {
        StoreSpec::Redis(url) => (
            ReplayStore::redis(url)
                .await
                .map_err(|e| fail(anyhow!("replay store {url}: {e}")))?,
            "redis".to_string(),
        ),
        StoreSpec::File(p) => {
            let store =
                ReplayStore::durable(p, cfg.max_store_entries).map_err(|e| bad(anyhow!(e)))?;
            if let ReplayStore::Durable(d) = &store
                && d.recovered()
            {
                eprintln!(
                    "grind: warning: replay store {}: its last run ended with its machine (or a \
                     failed sync); spends it had not yet synced may be lost, so challenges issued \
                     before now are refused",
                    p.display()
                );
            }
            (store, format!("durable {}", p.display()))
        }
        StoreSpec::Memory => (ReplayStore::memory(cfg.max_store_entries), "memory".into()),
    };
    let desc = if keys.is_ephemeral() {
        eprintln!(
            "grind: warning: no GRIND_GATE_KEY or --key-file: using a random key; challenges and \
             tokens will not survive a restart (a restart invalidates them all) or be shared \
             between instances"
        );
        format!("random key, store {store_desc}")
    } else {
        if spec == StoreSpec::Memory {
            eprintln!(
                "grind: warning: --store memory with a persistent key: a restart forgets which \
                 challenges were spent, and accepts them again until they expire"
            );
        }
        let kids = keys.kids();
        format!(
            "key {}{}, store {store_desc}",
            kids[0],
            if kids.len() > 1 {
                format!(" (+{} accepted)", kids.len() - 1)
            } else {
                String::new()
            }
        )
    };
    Ok((Arc::new(Gate::new(keys, store, cfg)), source, desc))
}

/// Reloads the keys on SIGHUP (rotation without a restart).
fn reload_keys_on_sighup(gate: Arc<Gate>, source: KeySource) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            if !source.persists() {
                eprintln!("grind: SIGHUP: the key is random; nothing to reload");
                continue;
            }
            match source.load() {
                Ok(keys) => {
                    let kids = keys.kids().join(", ");
                    gate.set_keys(keys);
                    eprintln!("grind: keys reloaded: signing with the first of {kids}");
                }
                Err(e) => eprintln!("grind: keys not reloaded ({e}); the current keys stay"),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = (gate, source);
}

fn tls(a: &GateArgs) -> Result<Option<server::TlsAcceptor>, Failure> {
    match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => Ok(Some(server::tls_acceptor(c, k).map_err(bad)?)),
        _ => Ok(None),
    }
}

fn serve_options(a: &GateArgs) -> Result<ServeOptions, Failure> {
    Ok(ServeOptions {
        header_timeout: a.header_timeout,
        body_timeout: a.body_timeout,
        max_connections: a.max_connections,
        shutdown_grace: a.shutdown_grace,
        tls: tls(a)?,
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(anyhow!("cannot start the async runtime: {e}")))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn listen(bind: IpAddr, port: u16) -> Result<tokio::net::TcpListener, Failure> {
    tokio::net::TcpListener::bind(SocketAddr::new(bind, port))
        .await
        .map_err(|e| fail(anyhow!("cannot listen on {bind}:{port}: {e}")))
}

pub fn serve(a: ServeArgs) -> CmdResult {
    runtime()?.block_on(async move {
        let opts = serve_options(&a.gate)?;
        let (gate, source, desc) = build_gate(&a.gate, "serve").await?;
        let d = gate.config().pricing.default;
        let tools = GateTools::new(gate.clone(), a.scope.clone(), d);
        if a.stdio {
            serve_stdio(tools)
                .await
                .map_err(|e| fail(anyhow!("MCP over stdio: {e}")))?;
            return Ok(ExitCode::SUCCESS);
        }
        reload_keys_on_sighup(gate.clone(), source);
        let listener = listen(a.gate.bind, a.port).await?;
        let addr = listener.local_addr().map_err(|e| fail(anyhow!(e)))?;
        let api = Api {
            gate,
            default_scope: a.scope.clone(),
        };
        let router = http::router(api, Some((tools, a.gate.allowed_hosts.clone())));
        eprintln!(
            "grind serve: listening on {}://{addr} (API at /api, MCP at /mcp, {desc})",
            if opts.tls.is_some() { "https" } else { "http" }
        );
        server::serve(listener, router, opts, shutdown_signal())
            .await
            .map_err(|e| fail(anyhow!("server: {e}")))?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn gate(a: GateProxyArgs) -> CmdResult {
    runtime()?.block_on(async move {
        let opts = serve_options(&a.gate)?;
        let (gate, source, desc) = build_gate(&a.gate, "gate").await?;
        let proxy = Proxy::new(gate.clone(), &a.upstream, a.upstream_ca.as_deref())
            .map_err(|e| bad(anyhow!(e)))?;
        reload_keys_on_sighup(gate, source);
        let listener = listen(a.gate.bind, a.port).await?;
        let addr = listener.local_addr().map_err(|e| fail(anyhow!(e)))?;
        eprintln!(
            "grind gate: listening on {}://{addr}, forwarding to {} ({desc})",
            if opts.tls.is_some() { "https" } else { "http" },
            a.upstream
        );
        server::serve(listener, proxy.router(), opts, shutdown_signal())
            .await
            .map_err(|e| fail(anyhow!("server: {e}")))?;
        Ok(ExitCode::SUCCESS)
    })
}
