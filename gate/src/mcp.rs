//! MCP tools `challenge`, `verify` and `status` with the input schemas of captcha-mcp
//! (`challenge` and `status` take no input; `verify` requires `salt`, `nonce`, `id`,
//! `signature` and accepts `algo`, `difficulty`). Each tool declares an `outputSchema`
//! and answers with `structuredContent` ([`ChallengeBody`], [`VerifyOutput`], the
//! status object), and with the same JSON as text in `content[0].text`, as captcha-mcp's,
//! for older clients. Optional inputs are typed by their value alone (no
//! `["string", "null"]` unions): absent means not given. Served over stdio ([`serve_stdio`]) and over
//! Streamable HTTP ([`http_service`], mounted at `/mcp` by [`crate::http`]).

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::authority::{ChallengeBody, Gate, VerifyRequest};

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
    #[schemars(with = "String", transform = no_default)]
    pub algo: Option<String>,
    /// The challenge's difficulty (optional; must match the signed one).
    #[serde(default)]
    #[schemars(with = "f64", transform = no_default)]
    pub difficulty: Option<f64>,
    /// All k nonces when the challenge asks for k > 1 solutions (optional).
    #[serde(default)]
    #[schemars(with = "Vec<String>", transform = no_default)]
    pub nonces: Option<Vec<String>>,
}

/// Optional fields are typed by their value alone: an absent one is not given (no
/// `"default": null` beside a type that excludes null).
fn no_default(schema: &mut schemars::Schema) {
    schema.remove("default");
}

/// What `verify` answers: with `valid: true` the token and what it is good for; with
/// `valid: false` a `code` and a `reason`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VerifyOutput {
    /// Whether the solution was accepted.
    pub valid: bool,
    /// The token (valid only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", transform = no_default)]
    pub token: Option<String>,
    /// `"pow"` (valid only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", transform = no_default)]
    pub method: Option<String>,
    /// Token lifetime in seconds (valid only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u64", transform = no_default)]
    pub expires_in_sec: Option<u64>,
    /// Token expiry, Unix seconds (valid only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "i64", transform = no_default)]
    pub expires_at: Option<i64>,
    /// The scope paid for (valid only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", transform = no_default)]
    pub scope: Option<String>,
    /// The difficulty paid (valid only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "f64", transform = no_default)]
    pub difficulty: Option<f64>,
    /// Leading zero bits of the digest (valid only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32", transform = no_default)]
    pub zero_bits: Option<u32>,
    /// The challenge id, now spent (valid only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", transform = no_default)]
    pub id: Option<String>,
    /// Why not, as a stable code: `spent`, `expired`, `insufficient_work`, ... (invalid
    /// only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", transform = no_default)]
    pub code: Option<String>,
    /// Why not, in words (invalid only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", transform = no_default)]
    pub reason: Option<String>,
}

/// Reads one of the gate's JSON bodies as the tool's typed output (the bodies are built
/// in one place, [`Gate`] and [`crate::error::GateError::body`]; the tests check that
/// each reads).
fn typed<T: serde::de::DeserializeOwned>(body: Value) -> T {
    serde_json::from_value(body).expect("the gate's bodies have the tools' output shapes")
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
    fn challenge(&self) -> Result<Json<ChallengeBody>, String> {
        match self.gate.issue(&self.scope, self.difficulty, Some("mcp")) {
            Ok(ch) => Ok(Json(Gate::challenge_body(&ch))),
            Err(e) => Err(e.body().to_string()),
        }
    }

    #[tool(
        description = "Verify a proof-of-work solution ({salt, nonce, id, signature}); a valid one returns a short-lived token."
    )]
    async fn verify(&self, Parameters(v): Parameters<VerifyInput>) -> Json<VerifyOutput> {
        let difficulty = match v.difficulty.map(Number::from_f64) {
            Some(None) => {
                return Json(typed(
                    crate::error::GateError::Malformed("difficulty must be a finite number".into())
                        .body(),
                ));
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
        Json(typed(match self.gate.verify(&req, None).await {
            Ok(ok) => self.gate.verified_json(&ok),
            Err(e) => e.body(),
        }))
    }

    #[tool(description = "Gate status and counters: pow_solves, challenges_issued, ...")]
    fn status(&self) -> Json<Map<String, Value>> {
        Json(typed(self.gate.status_json()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GateConfig;
    use crate::error::GateError;
    use crate::{ReplayStore, ServerKey};

    #[test]
    fn the_gate_bodies_read_as_the_tool_outputs() {
        let gate = Gate::new(
            ServerKey::from_secret(b"mcp-output-test-key").unwrap(),
            ReplayStore::memory(10),
            GateConfig::default(),
        );
        let ch = gate.issue("tool:x", 4.0, None).unwrap();
        // The challenge's wire form: an integer difficulty stays an integer.
        let json = Gate::challenge_json(&ch);
        assert_eq!(json["compact"], ch.compact());
        assert_eq!(json["difficulty"].to_string(), "4");
        assert_eq!(json["k"], 1);
        let v = crate::authority::Verified {
            token: "t".into(),
            scope: "tool:x".into(),
            difficulty: 4.0,
            zero_bits: 5,
            challenge_id: ch.id.clone(),
            token_expires_at: 9,
        };
        let ok: VerifyOutput = typed(gate.verified_json(&v));
        assert!(ok.valid && ok.token.as_deref() == Some("t") && ok.zero_bits == Some(5));
        let refused: VerifyOutput = typed(GateError::Spent.body());
        assert!(!refused.valid && refused.code.as_deref() == Some("spent"));
        let _: Map<String, Value> = typed(gate.status_json());
        // Optional inputs are typed by their value alone.
        let schema = serde_json::to_value(schemars::schema_for!(VerifyInput)).unwrap();
        assert!(!schema.to_string().contains("null"), "{schema}");
        let out = serde_json::to_value(schemars::schema_for!(VerifyOutput)).unwrap();
        assert!(!out.to_string().contains("null"), "{out}");
        assert_eq!(out["required"], serde_json::json!(["valid"]));
    }
}
