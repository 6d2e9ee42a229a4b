//! The HTTP API (axum), with the contract of the captcha-mcp backend:
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/challenge[?scope=S]` | `{id, salt, difficulty, algo, signature, expires_at, scope, compact, instructions}` |
//! | `POST /api/verify` `{salt, nonce, id, signature, algo?, difficulty?}` | `{valid: true, token, method: "pow", ...}`, or 4xx `{valid: false, reason, code}` |
//! | `POST /api/token/verify` `{token}` | `{valid: true, method, issued_at, expires_at, scope}`, or 4xx |
//! | `GET /api/stats` | `{pow_solves, challenges_issued, ln_skips, ...}` |
//! | `GET /health` | `{ok: true}` |
//! | `GET /metrics` | Prometheus text |
//! | `/mcp` | the MCP tools over Streamable HTTP |
//!
//! Bad input gets a 400 JSON error (bodies over [`MAX_BODY`] a 413), never a 5xx; a
//! replay store that cannot answer gives a 503 with the reason.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::authority::{Gate, VerifyRequest};
use crate::mcp::{GateTools, http_service};

/// Largest request body, in bytes.
pub const MAX_BODY: usize = 16 * 1024;

/// State shared by the handlers.
#[derive(Clone)]
pub struct Api {
    /// The gate.
    pub gate: Arc<Gate>,
    /// Scope of challenges from `/api/challenge` without `?scope=`.
    pub default_scope: String,
}

fn reply(status: u16, body: Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (code, axum::Json(body)).into_response()
}

/// Reads a JSON body strictly into `T`, as a 415 (another `Content-Type`) or 400 with a
/// reason on failure; the body limit and its 413 are the `Bytes` extractor's. (Taking
/// the whole request spares the copy of its headers a `HeaderMap` argument makes.)
async fn json_body<T: serde::de::DeserializeOwned>(req: Request) -> Result<T, Box<Response>> {
    if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("");
        if !ct
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("application/json")
        {
            return Err(Box::new(reply(
                415,
                json!({"valid": false, "code": "malformed", "reason": "Content-Type must be application/json"}),
            )));
        }
    }
    let body = Bytes::from_request(req, &())
        .await
        .map_err(|e| Box::new(e.into_response()))?;
    serde_json::from_slice(&body).map_err(|e| {
        Box::new(reply(
            400,
            json!({"valid": false, "code": "malformed", "reason": format!("bad JSON body: {e}")}),
        ))
    })
}

#[derive(Deserialize)]
struct ChallengeQuery {
    scope: Option<String>,
}

async fn challenge(
    State(api): State<Api>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    q: Result<Query<ChallengeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return reply(
            400,
            json!({"code": "malformed", "reason": "bad query string"}),
        );
    };
    let scope = q.scope.unwrap_or_else(|| api.default_scope.clone());
    let tool = scope
        .strip_prefix(grindstone_core::schemes::gate::TOOL_SCOPE_PREFIX)
        .unwrap_or(&scope);
    let d = api
        .gate
        .config()
        .pricing
        .price(tool)
        .unwrap_or(api.gate.config().pricing.default);
    match api.gate.issue(&scope, d, Some(&peer.ip().to_string())) {
        Ok(ch) => reply(200, Gate::challenge_json(&ch)),
        Err(e) => e.into_response(),
    }
}

async fn verify(State(api): State<Api>, req: Request) -> Response {
    let req: VerifyRequest = match json_body(req).await {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    match api.gate.verify(&req, None).await {
        Ok(v) => {
            // Written into a buffer of the body's size (`axum::Json` starts at 128 bytes
            // and grows).
            let mut body = Vec::with_capacity(v.token.len() + v.scope.len() + 256);
            serde_json::to_writer(&mut body, &api.gate.verified_body(&v)).expect("plain data");
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
}

async fn token_verify(State(api): State<Api>, req: Request) -> Response {
    let b: TokenBody = match json_body(req).await {
        Ok(b) => b,
        Err(resp) => return *resp,
    };
    match api.gate.check_token(&b.token, None, None) {
        Ok(c) => reply(
            200,
            json!({"valid": true, "method": c.method, "issued_at": c.iat, "expires_at": c.exp,
                   "scope": c.scope, "difficulty": c.d}),
        ),
        Err(e) => e.into_response(),
    }
}

async fn stats(State(api): State<Api>) -> Response {
    let mut s = api.gate.stats().json();
    let st = api.gate.status_json();
    s["store"] = st["store"].clone();
    s["difficulty"] = st["difficulty"].clone();
    s["keys"] = st["keys"].clone();
    reply(200, s)
}

async fn health() -> Response {
    reply(200, json!({"ok": true}))
}

async fn metrics(State(api): State<Api>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        api.gate.metrics(),
    )
        .into_response()
}

async fn not_found() -> Response {
    reply(404, json!({"code": "not_found", "reason": "no such route"}))
}

/// The router: API routes, `/health`, `/metrics`, and the MCP tools at `/mcp`.
pub fn router(api: Api, mcp: Option<(GateTools, Vec<String>)>) -> Router {
    let mut r = Router::new()
        .route("/api/challenge", get(challenge))
        .route("/api/verify", post(verify))
        .route("/api/token/verify", post(token_verify))
        .route("/api/stats", get(stats))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .with_state(api);
    if let Some((tools, hosts)) = mcp {
        r = r.nest_service("/mcp", http_service(tools, hosts));
    }
    r.layer(DefaultBodyLimit::max(MAX_BODY))
}
