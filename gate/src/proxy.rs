//! The gating proxy: forwards MCP Streamable HTTP traffic (JSON and SSE responses,
//! `Mcp-Session-Id`) for the upstream's MCP path only (other paths of its origin stay
//! unreachable: 404) to an upstream MCP server, and demands proof of work for priced
//! `tools/call` requests.
//!
//! **Fail closed.** A priced call reaches the upstream only with a valid payment. Every
//! request is first read strictly by [`rpc::inspect`]: a method, encoding or body the
//! proxy cannot read exactly is refused (405, 415 or 400 with a JSON-RPC error), never
//! forwarded, whatever a laxer upstream parser would make of it.
//!
//! A priced call passes with either
//!
//! * a solution: `X-PoW-Solution: challenge=<compact>, nonce=<nonce>` for a challenge of
//!   scope `tool:<name>` (the answer then carries `X-PoW-Token: <token>` for reuse), or
//! * a token: `Authorization: PoW <token>` (also beside an identity credential, as in
//!   `Authorization: Bearer abc, PoW <token>`) or `X-PoW-Token: <token>`.
//!
//! Otherwise it is answered `402 Payment Required` with `WWW-Authenticate: PoW
//! challenge="<compact>", difficulty=<d>, algorithm="sha256"` and a JSON-RPC error body
//! that says what to do. Identity credentials pass through untouched; the PoW headers and
//! the `PoW` credential are removed before forwarding.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::TryStreamExt;
use grindstone_core::schemes::gate::{
    AUTH_SCHEME, PAYMENT_REQUIRED_CODE, SOLUTION_HEADER, TOKEN_HEADER, parse_solution_header,
    scope_covers, tool_scope,
};
use serde_json::{Value, json};

use crate::authority::{Gate, VerifyRequest};
use crate::error::GateError;
use crate::rpc::{self, Inspected, Refusal};
use crate::stats::Stats;

/// Largest request body forwarded, in bytes.
pub const MAX_BODY: usize = 1 << 20;

/// The proxy's state.
#[derive(Clone)]
pub struct Proxy {
    gate: Arc<Gate>,
    upstream: reqwest::Url,
    client: reqwest::Client,
}

impl Proxy {
    /// A proxy in front of `upstream` (`http://host:port/mcp` or `https://...`). HTTPS
    /// upstreams are verified against the platform's roots, plus the PEM certificates in
    /// `upstream_ca` (a private CA) when given.
    pub fn new(
        gate: Arc<Gate>,
        upstream: &str,
        upstream_ca: Option<&Path>,
    ) -> Result<Self, String> {
        let upstream = reqwest::Url::parse(upstream)
            .map_err(|e| format!("bad upstream URL {upstream:?}: {e}"))?;
        if !matches!(upstream.scheme(), "http" | "https") {
            return Err(format!(
                "upstream must be an http:// or https:// URL, not {upstream}"
            ));
        }
        crate::server::install_crypto_provider();
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(10));
        if let Some(p) = upstream_ca {
            let pem = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            if certs.is_empty() {
                return Err(format!("{}: no PEM certificate in the file", p.display()));
            }
            b = b.tls_certs_merge(certs);
        }
        let client = b.build().map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self {
            gate,
            upstream,
            client,
        })
    }

    /// The router: `/health` answered here, the upstream's path forwarded (with its
    /// query), anything else 404.
    pub fn router(self) -> Router {
        Router::new()
            .route("/health", get(|| async { axum::Json(json!({"ok": true})) }))
            .fallback(forward)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(self)
    }
}

/// A priced tool call found in a request body.
struct PricedCall {
    tool: String,
    price: f64,
    id: Value,
}

/// The priced `tools/call` messages of an inspected body.
fn priced_calls(gate: &Gate, inspected: &Inspected) -> Vec<PricedCall> {
    inspected
        .tool_calls()
        .filter_map(|(tool, id)| {
            let price = gate.config().pricing.price(tool)?;
            Some(PricedCall {
                tool: tool.to_string(),
                price,
                id: id.clone(),
            })
        })
        .collect()
}

/// The answer to a request the proxy will not forward.
fn refused(r: &Refusal) -> Response {
    let mut resp = json_response(
        r.status(),
        json!({"jsonrpc": "2.0", "id": null,
               "error": {"code": r.rpc_code(), "message": r.to_string()}}),
    );
    if r.status() == StatusCode::METHOD_NOT_ALLOWED {
        resp.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, POST, DELETE, OPTIONS"),
        );
    }
    resp
}

/// Splits `Authorization` values into the PoW token (if any) and the other credentials.
pub fn split_authorization(headers: &HeaderMap) -> (Option<String>, Vec<String>) {
    let mut token = None;
    let mut rest = Vec::new();
    for v in headers.get_all(header::AUTHORIZATION) {
        let Ok(s) = v.to_str() else {
            // Not text: pass it on as it came.
            rest.push(String::from_utf8_lossy(v.as_bytes()).into_owned());
            continue;
        };
        let mut others = Vec::new();
        for cred in s.split(',') {
            let c = cred.trim();
            match c.split_once(char::is_whitespace) {
                Some((scheme, t)) if scheme.eq_ignore_ascii_case(AUTH_SCHEME) => {
                    token = Some(t.trim().to_string());
                }
                _ if c.eq_ignore_ascii_case(AUTH_SCHEME) => {}
                _ => others.push(cred),
            }
        }
        if others.len() == s.split(',').count() {
            rest.push(s.to_string());
        } else if !others.is_empty() {
            rest.push(
                others
                    .iter()
                    .map(|c| c.trim())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
    }
    (token, rest)
}

/// What a priced request brought.
enum Payment {
    /// Enough: forward (with a new token to hand back, if a solution was spent).
    Paid(Option<String>),
    /// Not enough: 402 with this reason (if a proof was offered and refused).
    Required(Option<String>),
    /// The gate cannot decide (replay store down): 503.
    Unavailable(GateError),
}

async fn check_payment(gate: &Gate, headers: &HeaderMap, calls: &[PricedCall]) -> Payment {
    let (auth_token, _) = split_authorization(headers);
    let token = auth_token.or_else(|| {
        headers
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
    });
    let mut reason = None;
    if let Some(t) = &token {
        let mut ok = true;
        for c in calls {
            if let Err(e) = gate.check_token(t, Some(&tool_scope(&c.tool)), Some(c.price)) {
                reason = Some(format!("token refused: {e}"));
                ok = false;
                break;
            }
        }
        if ok {
            return Payment::Paid(None);
        }
    }
    if let Some(sol) = headers.get(SOLUTION_HEADER) {
        let Ok(sol) = sol.to_str() else {
            return Payment::Required(Some("X-PoW-Solution is not text".into()));
        };
        let (ch, nonces) = match parse_solution_header(sol) {
            Ok(x) => x,
            Err(e) => return Payment::Required(Some(format!("bad X-PoW-Solution: {e}"))),
        };
        // One solution pays for calls to the tool of its scope, at most its difficulty.
        let paid = ch.difficulty().map(|d| d.bits()).unwrap_or(-1.0);
        for c in calls {
            let scope = tool_scope(&c.tool);
            if !scope_covers(&ch.claims.scope, &scope) {
                return Payment::Required(Some(format!(
                    "solution is for scope {:?}, this call needs {scope:?}",
                    ch.claims.scope
                )));
            }
            if paid < c.price {
                return Payment::Required(Some(format!(
                    "solution is for difficulty {paid}, {} costs {}",
                    c.tool, c.price
                )));
            }
        }
        let req = VerifyRequest {
            salt: ch.salt.clone(),
            nonce: nonces[0].clone(),
            nonces: Some(nonces),
            id: Some(ch.id.clone()),
            signature: Some(ch.signature()),
            algo: None,
            difficulty: None,
        };
        return match gate.verify(&req, None).await {
            Ok(v) => Payment::Paid(Some(v.token)),
            Err(e @ GateError::Unavailable(_)) => Payment::Unavailable(e),
            Err(e) => Payment::Required(Some(format!("solution refused: {e}"))),
        };
    }
    Payment::Required(reason)
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn payment_required(
    gate: &Gate,
    call: &PricedCall,
    client: &str,
    reason: Option<String>,
) -> Response {
    let ch = match gate.issue(&tool_scope(&call.tool), call.price, Some(client)) {
        Ok(ch) => ch,
        Err(e) => {
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"jsonrpc": "2.0", "id": call.id, "error": {"code": -32603, "message": e.to_string()}}),
            );
        }
    };
    Stats::inc(&gate.stats().proxy_payment_required);
    let mut data = Gate::challenge_json(&ch);
    if let Some(r) = &reason {
        data["refused"] = json!(r);
    }
    let body = json!({
        "jsonrpc": "2.0",
        "id": call.id,
        "error": {
            "code": PAYMENT_REQUIRED_CODE,
            "message": format!(
                "Payment required: tool {:?} costs a proof of work of {} bits. Solve the challenge \
                 in WWW-Authenticate (`grind solve --www-authenticate '<value>'`) and retry with \
                 `X-PoW-Solution: challenge=<challenge>, nonce=<nonce>`, or send a token from an \
                 earlier answer's X-PoW-Token as `Authorization: PoW <token>`.",
                call.tool, ch.claims.d
            ),
            "data": data,
        }
    });
    let mut resp = json_response(StatusCode::PAYMENT_REQUIRED, body);
    if let Ok(v) = HeaderValue::from_str(&ch.www_authenticate()) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// Hop-by-hop headers (RFC 9110 section 7.6.1) and those the proxy sets itself.
fn skip_header(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "host"
            | "content-length"
            | "proxy-authorization"
            | "proxy-authenticate"
    )
}

async fn forward(
    State(p): State<Proxy>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.path() != p.upstream.path() {
        Stats::inc(&p.gate.stats().proxy_refused);
        return json_response(
            StatusCode::NOT_FOUND,
            json!({"code": "not_found",
                   "reason": format!("the gate forwards {} only", p.upstream.path())}),
        );
    }
    let inspected = match rpc::inspect(&method, &headers, &body) {
        Ok(i) => i,
        Err(r) => {
            Stats::inc(&p.gate.stats().proxy_refused);
            return refused(&r);
        }
    };
    let mut new_token = None;
    let calls = priced_calls(&p.gate, &inspected);
    if !calls.is_empty() {
        match check_payment(&p.gate, &headers, &calls).await {
            Payment::Paid(t) => new_token = t,
            Payment::Required(reason) => {
                return payment_required(&p.gate, &calls[0], &peer.ip().to_string(), reason);
            }
            Payment::Unavailable(e) => {
                return json_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({"jsonrpc": "2.0", "id": calls[0].id,
                           "error": {"code": -32603, "message": e.to_string()}}),
                );
            }
        }
    }
    let mut url = p.upstream.clone();
    url.set_path(uri.path());
    url.set_query(uri.query());
    let mut req = p.client.request(method, url);
    let (_, identity) = split_authorization(&headers);
    for (name, value) in &headers {
        if skip_header(name)
            || name == header::AUTHORIZATION
            || name.as_str().eq_ignore_ascii_case(SOLUTION_HEADER)
            || name.as_str().eq_ignore_ascii_case(TOKEN_HEADER)
        {
            continue;
        }
        req = req.header(name, value);
    }
    for cred in identity {
        req = req.header(header::AUTHORIZATION, cred);
    }
    let upstream = match req.body(body).send().await {
        Ok(r) => r,
        Err(e) => {
            let mut resp = json_response(
                StatusCode::BAD_GATEWAY,
                json!({"code": "upstream_unreachable", "reason": format!("upstream: {e}")}),
            );
            // A solution spent on this request still bought its token: keep it usable.
            if let Some(t) = new_token
                && let Ok(v) = HeaderValue::from_str(&t)
            {
                resp.headers_mut().insert(TOKEN_HEADER, v);
            }
            return resp;
        }
    };
    Stats::inc(&p.gate.stats().proxy_forwarded);
    let status = upstream.status();
    let mut out = Response::builder().status(status.as_u16());
    for (name, value) in upstream.headers() {
        if !skip_header(name) {
            out = out.header(name, value);
        }
    }
    if let Some(t) = new_token
        && let Ok(v) = HeaderValue::from_str(&t)
    {
        out = out.header(TOKEN_HEADER, v);
    }
    let stream = upstream.bytes_stream().map_err(std::io::Error::other);
    out.body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_splitting() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc.def, PoW tok123"),
        );
        let (t, rest) = split_authorization(&h);
        assert_eq!(t.as_deref(), Some("tok123"));
        assert_eq!(rest, vec!["Bearer abc.def"]);
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("pow tok"));
        assert_eq!(split_authorization(&h), (Some("tok".into()), vec![]));
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  x=="),
        );
        assert_eq!(
            split_authorization(&h),
            (None, vec!["Bearer  x==".to_string()])
        );
    }
}
