//! `grind serve` (the verify endpoint and MCP tools) and `grind gate` (the gating proxy).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::anyhow;
use grindstone_gate::config::GateConfig;
use grindstone_gate::http::{self, Api};
use grindstone_gate::mcp::{GateTools, serve_stdio};
use grindstone_gate::proxy::Proxy;
use grindstone_gate::{Gate, ReplayStore, ServerKey};

use super::{CmdResult, Failure, bad, fail, parse_duration};

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
    #[arg(long, value_name = "DURATION")]
    pub token_ttl: Option<String>,
    /// Share the replay store through Redis (redis://host:port/db); default: in memory.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// File holding the server key (GRIND_GATE_KEY takes precedence).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Host header values to accept on /mcp besides loopback (DNS-rebinding protection).
    #[arg(long = "allowed-host", value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
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
    /// The MCP server to protect (Streamable HTTP endpoint, e.g. http://127.0.0.1:8000/mcp).
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// Port (0 picks a free one; the address is printed on stderr).
    #[arg(long, default_value_t = 8788)]
    pub port: u16,
}

async fn build_gate(a: &GateArgs) -> Result<Arc<Gate>, Failure> {
    let mut cfg = match &a.config {
        Some(p) => GateConfig::from_file(p).map_err(bad)?,
        None => GateConfig::default(),
    };
    if let Some(d) = a.difficulty {
        cfg.pricing.default = d;
    }
    if let Some(t) = &a.token_ttl {
        cfg.token_ttl_secs = parse_duration(t).map_err(bad)?.as_secs();
    }
    cfg.validate().map_err(bad)?;
    let env_key = std::env::var("GRIND_GATE_KEY").ok();
    let key = ServerKey::load(env_key.as_deref(), a.key_file.as_deref()).map_err(bad)?;
    if key.is_ephemeral() {
        eprintln!(
            "grind: warning: no GRIND_GATE_KEY or --key-file: using a random key; challenges and \
             tokens will not survive a restart or be shared between instances"
        );
    }
    let store = match &a.redis {
        Some(url) => ReplayStore::redis(url)
            .await
            .map_err(|e| fail(anyhow!("--redis {url}: {e}")))?,
        None => ReplayStore::memory(cfg.max_store_entries),
    };
    Ok(Arc::new(Gate::new(key, store, cfg)))
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
        let gate = build_gate(&a.gate).await?;
        let d = gate.config().pricing.default;
        let tools = GateTools::new(gate.clone(), a.scope.clone(), d);
        if a.stdio {
            serve_stdio(tools)
                .await
                .map_err(|e| fail(anyhow!("MCP over stdio: {e}")))?;
            return Ok(ExitCode::SUCCESS);
        }
        let listener = listen(a.gate.bind, a.port).await?;
        let addr = listener.local_addr().map_err(|e| fail(anyhow!(e)))?;
        let api = Api {
            gate,
            default_scope: a.scope.clone(),
        };
        let router = http::router(api, Some((tools, a.gate.allowed_hosts.clone())));
        eprintln!(
            "grind serve: listening on http://{addr} (API at /api, MCP at /mcp, store {})",
            if a.gate.redis.is_some() {
                "redis"
            } else {
                "memory"
            }
        );
        http::serve(listener, router, shutdown_signal())
            .await
            .map_err(|e| fail(anyhow!("server: {e}")))?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn gate(a: GateProxyArgs) -> CmdResult {
    runtime()?.block_on(async move {
        let gate = build_gate(&a.gate).await?;
        let proxy = Proxy::new(gate, &a.upstream).map_err(|e| bad(anyhow!(e)))?;
        let listener = listen(a.gate.bind, a.port).await?;
        let addr = listener.local_addr().map_err(|e| fail(anyhow!(e)))?;
        eprintln!(
            "grind gate: listening on http://{addr}, forwarding to {}",
            a.upstream
        );
        http::serve(listener, proxy.router(), shutdown_signal())
            .await
            .map_err(|e| fail(anyhow!("server: {e}")))?;
        Ok(ExitCode::SUCCESS)
    })
}
