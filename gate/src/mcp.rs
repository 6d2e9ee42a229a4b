//! MCP tools `challenge`, `verify` and `status` with the input schemas of captcha-mcp
//! (`challenge` and `status` take no input; `verify` requires `salt`, `nonce`, `id`,
//! `signature` and accepts `algo`, `difficulty`). Tool results are JSON text in
//! `content[0].text`, as captcha-mcp's. Served over stdio ([`serve_stdio`]) and over
//! Streamable HTTP ([`http_service`], mounted at `/mcp` by [`crate::http`]).

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::Number;

use crate::authority::{Gate, VerifyRequest};

/// The `verify` tool input.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct VerifyInput {
    /// The challenge's salt.
    pub salt: String,
    /// The nonce found: SHA-256(salt + nonce) must have `difficulty` leading zero bits.
    pub nonce: String,
    /// The challenge's id.
    pub id: String,
    /// The challenge's signature.
    pub signature: String,
    /// "sha256" (optional).
    #[serde(default)]
    pub algo: Option<String>,
    /// The challenge's difficulty (optional; must match the signed one).
    #[serde(default)]
    pub difficulty: Option<f64>,
    /// All k nonces when the challenge asks for k > 1 solutions (optional).
    #[serde(default)]
    pub nonces: Option<Vec<String>>,
}

/// The MCP server over a shared [`Gate`].
#[derive(Clone)]
pub struct GateTools {
    gate: Arc<Gate>,
    scope: String,
    difficulty: f64,
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl GateTools {
    /// Tools over `gate`, issuing challenges for `scope` at `difficulty` bits.
    pub fn new(gate: Arc<Gate>, scope: String, difficulty: f64) -> Self {
        Self {
            gate,
            scope,
            difficulty,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "Get a proof-of-work challenge: find a nonce such that SHA-256(salt + nonce) has at least `difficulty` leading zero bits, then call verify."
    )]
    fn challenge(&self) -> String {
        match self.gate.issue(&self.scope, self.difficulty, Some("mcp")) {
            Ok(ch) => Gate::challenge_json(&ch).to_string(),
            Err(e) => e.body().to_string(),
        }
    }

    #[tool(
        description = "Verify a proof-of-work solution ({salt, nonce, id, signature}); a valid one returns a short-lived token."
    )]
    async fn verify(&self, Parameters(v): Parameters<VerifyInput>) -> String {
        let difficulty = match v.difficulty.map(Number::from_f64) {
            Some(None) => {
                return crate::error::GateError::Malformed(
                    "difficulty must be a finite number".into(),
                )
                .body()
                .to_string();
            }
            Some(Some(n)) => Some(n),
            None => None,
        };
        let req = VerifyRequest {
            salt: v.salt,
            nonce: v.nonce,
            id: Some(v.id),
            signature: Some(v.signature),
            algo: v.algo,
            difficulty,
            nonces: v.nonces,
        };
        match self.gate.verify(&req, None).await {
            Ok(ok) => self.gate.verified_json(&ok).to_string(),
            Err(e) => e.body().to_string(),
        }
    }

    #[tool(description = "Gate status and counters: pow_solves, challenges_issued, ...")]
    fn status(&self) -> String {
        self.gate.status_json().to_string()
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for GateTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "grindstone-gate",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "Proof-of-work gate: call `challenge`, solve it (`grind solve -`), then `verify`.",
            )
    }
}

/// Serves the tools over stdin/stdout until the client disconnects.
pub async fn serve_stdio(tools: GateTools) -> Result<(), String> {
    let service = tools
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| e.to_string())?;
    service.waiting().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// The Streamable HTTP service (to mount at `/mcp`). `allowed_hosts` are the `Host`
/// values accepted (DNS rebinding protection); empty means rmcp's loopback default.
pub fn http_service(
    tools: GateTools,
    allowed_hosts: Vec<String>,
) -> StreamableHttpService<GateTools, LocalSessionManager> {
    let mut cfg = StreamableHttpServerConfig::default();
    if !allowed_hosts.is_empty() {
        cfg.allowed_hosts = allowed_hosts;
    }
    StreamableHttpService::new(move || Ok(tools.clone()), Default::default(), cfg)
}
