//! The gating proxy: forwards MCP Streamable HTTP traffic (JSON and SSE responses,
//! `Mcp-Session-Id`) for the upstream's MCP path to an upstream MCP server, and demands
//! proof of work for priced `tools/call` requests. Besides that path only the OAuth
//! discovery documents of its origin are forwarded ([`OAUTH_METADATA`]: `GET` only,
//! untouched), so an upstream that is an OAuth 2.1 protected resource keeps working
//! behind the gate (its 401 answers pass through too: identity and price compose); other
//! paths stay unreachable (404).
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
//! * a payment inside the JSON-RPC request, for clients that cannot set headers (MPP's
//!   MCP transport): `params._meta["org.paymentauth/credential"]` holding
//!   `{"challenge": {"id": "<compact>"}, "payload": {"nonce": "<nonce>"}}` or
//!   `{"payload": {"token": "<token>"}}` ([`MetaCredential`]). The answer to a paid
//!   solution then carries the token in `result._meta["org.paymentauth/receipt"]` too.
//!
//! Otherwise it is answered `402 Payment Required` with `WWW-Authenticate: PoW
//! challenge="<compact>", difficulty=<d>, algorithm="sha256"` and a JSON-RPC error
//! ([`PAYMENT_REQUIRED_CODE`], or [`PAYMENT_REFUSED_CODE`] when a payment was offered and
//! refused) whose `data` holds everything needed to pay: MPP's `httpStatus` and
//! `challenges` list, and the challenge's fields as `/api/challenge` gives them.
//! Identity credentials pass through untouched; the PoW headers, the `PoW` credential
//! and the `_meta` payment are removed before forwarding.

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
    ALGORITHM, AUTH_SCHEME, GateChallenge, MetaCredential, PAYMENT_METHOD, PAYMENT_REFUSED_CODE,
    PAYMENT_REQUIRED_CODE, SOLUTION_HEADER, TOKEN_HEADER, parse_solution_header, scope_covers,
    tool_scope,
};
use serde_json::{Value, json};

use crate::authority::{Gate, VerifyRequest};
use crate::error::GateError;
use crate::meta;
use crate::rpc::{self, Inspected, Refusal};
use crate::stats::Stats;

/// The OAuth discovery paths forwarded to the upstream's origin (RFC 9728 protected
/// resource metadata, RFC 8414 authorization server metadata, OpenID discovery), as
/// themselves or followed by `/` and a path.
pub const OAUTH_METADATA: [&str; 3] = [
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-authorization-server",
    "/.well-known/openid-configuration",
];

/// Whether `path` is one of [`OAUTH_METADATA`] (or below one, in plain segments: ASCII
/// letters, digits, `-`, `_` and `.`, none empty, `.` or `..`; nothing percent-encoded or
/// backslashed, so that no resolution of the path can lead anywhere else).
fn is_oauth_metadata(path: &str) -> bool {
    OAUTH_METADATA.iter().any(|p| {
        path.strip_prefix(p).is_some_and(|rest| {
            rest.is_empty()
                || rest.strip_prefix('/').is_some_and(|segs| {
                    segs.split('/').all(|seg| {
                        !seg.is_empty()
                            && seg != "."
                            && seg != ".."
                            && seg
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                    })
                })
        })
    })
}

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
    /// Enough: forward (with the verification, if a solution was spent: its token goes
    /// back to the client).
    Paid(Option<crate::authority::Verified>),
    /// Not enough: 402 with this reason (if a proof was offered and refused).
    Required(Option<String>),
    /// The gate cannot decide (replay store down): 503.
    Unavailable(GateError),
}

/// What a request offers as payment, from the `_meta` credential or the headers.
enum Offer {
    Token(String),
    Solution(Box<GateChallenge>, Vec<String>),
    /// Offered, but unreadable: why.
    Unreadable(String),
}

/// The request's offers, in the order they are tried: the `_meta` credential alone when
/// there is one, else the headers' token, then their solution.
fn offers(headers: &HeaderMap, credential: Option<&Value>) -> Vec<Offer> {
    if let Some(m) = credential {
        return vec![match MetaCredential::parse(m) {
            Ok(MetaCredential::Token(t)) => Offer::Token(t),
            Ok(MetaCredential::Solution { challenge, nonces }) => {
                Offer::Solution(challenge, nonces)
            }
            Err(e) => Offer::Unreadable(e.to_string()),
        }];
    }
    let (auth_token, _) = split_authorization(headers);
    let token = auth_token.or_else(|| {
        headers
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
    });
    let solution = headers.get(SOLUTION_HEADER).map(|sol| match sol.to_str() {
        Err(_) => Offer::Unreadable("X-PoW-Solution is not text".into()),
        Ok(sol) => match parse_solution_header(sol) {
            Ok((ch, nonces)) => Offer::Solution(Box::new(ch), nonces),
            Err(e) => Offer::Unreadable(format!("bad X-PoW-Solution: {e}")),
        },
    });
    token
        .map(Offer::Token)
        .into_iter()
        .chain(solution)
        .collect()
}

async fn check_payment(
    gate: &Gate,
    headers: &HeaderMap,
    credential: Option<&Value>,
    calls: &[PricedCall],
) -> Payment {
    let mut reason = None;
    for o in offers(headers, credential) {
        let r = match o {
            Offer::Unreadable(why) => Payment::Required(Some(why)),
            Offer::Token(t) => check_token(gate, &t, calls),
            Offer::Solution(ch, nonces) => check_solution(gate, *ch, nonces, calls).await,
        };
        match r {
            Payment::Required(why) => reason = why,
            paid_or_unavailable => return paid_or_unavailable,
        }
    }
    Payment::Required(reason)
}

/// A token pays when it covers every priced call.
fn check_token(gate: &Gate, token: &str, calls: &[PricedCall]) -> Payment {
    for c in calls {
        if let Err(e) = gate.check_token(token, Some(&tool_scope(&c.tool)), Some(c.price)) {
            return Payment::Required(Some(format!("token refused: {e}")));
        }
    }
    Payment::Paid(None)
}

/// One solution pays for calls to the tool of its scope, at most its difficulty.
async fn check_solution(
    gate: &Gate,
    ch: GateChallenge,
    nonces: Vec<String>,
    calls: &[PricedCall],
) -> Payment {
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
    match gate.verify(&req, None).await {
        Ok(v) => Payment::Paid(Some(v)),
        Err(e @ GateError::Unavailable(_)) => Payment::Unavailable(e),
        Err(e) => Payment::Required(Some(format!("solution refused: {e}"))),
    }
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
    let expires = std::time::UNIX_EPOCH
        + std::time::Duration::from_secs(u64::try_from(ch.claims.exp).unwrap_or(0));
    data["httpStatus"] = json!(402);
    data["challenges"] = json!([{
        "id": ch.compact(),
        "realm": ch.claims.scope,
        "method": PAYMENT_METHOD,
        "intent": "charge",
        "request": {
            "algorithm": ALGORITHM,
            "difficulty": ch.claims.d,
            "k": ch.claims.k,
            "scope": ch.claims.scope,
            "salt": ch.salt,
        },
        "expires": humantime::format_rfc3339_seconds(expires).to_string(),
        "description": format!(
            "a nonce such that SHA-256(salt + nonce) has at least {} leading zero bits",
            ch.claims.d
        ),
    }]);
    if let Some(r) = &reason {
        data["refused"] = json!(r);
    }
    let code = if reason.is_some() {
        PAYMENT_REFUSED_CODE
    } else {
        PAYMENT_REQUIRED_CODE
    };
    let body = json!({
        "jsonrpc": "2.0",
        "id": call.id,
        "error": {
            "code": code,
            "message": format!(
                "Payment required: tool {:?} costs a proof of work of {} bits. Solve the challenge \
                 (`grind solve` reads this error; or WWW-Authenticate) and retry with \
                 `X-PoW-Solution: challenge=<challenge>, nonce=<nonce>`, or with \
                 params._meta[\"org.paymentauth/credential\"] = {{\"challenge\": {{\"id\": \
                 <challenges[0].id>}}, \"payload\": {{\"nonce\": <nonce>}}}}; or send a token \
                 from an earlier answer (X-PoW-Token, or the receipt's token) as \
                 `Authorization: PoW <token>` or {{\"payload\": {{\"token\": <token>}}}}.",
                call.tool, ch.claims.d
            ),
            "data": data,
        }
    });
    let status = StatusCode::from_u16(gate.config().payment_required_status)
        .unwrap_or(StatusCode::PAYMENT_REQUIRED);
    let mut resp = json_response(status, body);
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
    let not_found = |reason: String| {
        Stats::inc(&p.gate.stats().proxy_refused);
        json_response(
            StatusCode::NOT_FOUND,
            json!({"code": "not_found", "reason": reason}),
        )
    };
    let metadata = is_oauth_metadata(uri.path()) && method == Method::GET;
    if uri.path() != p.upstream.path() && !metadata {
        return not_found(format!(
            "the gate forwards {} and OAuth discovery (GET) only",
            p.upstream.path()
        ));
    }
    let inspected = match rpc::inspect(&method, &headers, &body) {
        Ok(i) => i,
        Err(r) => {
            Stats::inc(&p.gate.stats().proxy_refused);
            return refused(&r);
        }
    };
    let mut verified = None;
    let calls = priced_calls(&p.gate, &inspected);
    let credential = match inspected.messages.as_slice() {
        [m] => m.credential.as_ref(),
        _ => None,
    };
    // The `_meta` payment is the gate's, not the upstream's.
    let body = match credential.map(|_| meta::strip_credential(&body)) {
        None => body,
        Some(Some(b)) => Bytes::from(b),
        Some(None) => {
            return refused(&Refusal::Invalid(
                "params._meta could not be rewritten without its payment".into(),
            ));
        }
    };
    if !calls.is_empty() {
        match check_payment(&p.gate, &headers, credential, &calls).await {
            Payment::Paid(v) => verified = v,
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
    // A solution paid inside JSON-RPC gets its receipt (and token) inside JSON-RPC too.
    let receipt = match (&verified, credential, calls.first()) {
        (Some(v), Some(_), Some(call)) => Some((call.id.clone(), receipt_json(&p.gate, v))),
        _ => None,
    };
    let new_token = verified.map(|v| v.token);
    let mut url = p.upstream.clone();
    url.set_path(uri.path());
    url.set_query(uri.query());
    if url.path() != uri.path() {
        // The URL parser resolved something in the path: not the path that was checked.
        return not_found("the path does not stay as sent".into());
    }
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
    let framing = upstream
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(meta::Framing::of);
    let stream = upstream.bytes_stream();
    let body = match (receipt, framing) {
        (Some((id, r)), Some(f)) => Body::from_stream(
            meta::receipt_in_body(stream, f, id, r).map_err(std::io::Error::other),
        ),
        _ => Body::from_stream(stream.map_err(std::io::Error::other)),
    };
    out.body(body)
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

/// The receipt of a solution paid inside JSON-RPC (MPP's `result._meta` receipt, with the
/// token to reuse).
fn receipt_json(gate: &Gate, v: &crate::authority::Verified) -> Value {
    let mut r = gate.verified_json(v);
    r["status"] = json!("success");
    r["method"] = json!(PAYMENT_METHOD);
    r["reference"] = json!(v.challenge_id);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_discovery_paths() {
        for p in [
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-authorization-server/tenant",
            "/.well-known/openid-configuration",
        ] {
            assert!(is_oauth_metadata(p), "{p}");
        }
        for p in [
            "/.well-known/oauth-protected-resourcex",
            "/.well-known/oauth-protected-resource/",
            "/.well-known/oauth-protected-resource/../../admin",
            "/.well-known/oauth-protected-resource/%2e%2e/admin",
            "/.well-known/openid-configuration/.%2e/x",
            "/.well-known/oauth-protected-resource/..\\..\\admin",
            "/.well-known/oauth-protected-resource//admin",
            "/.well-known/oauth-protected-resource/./mcp",
            "/.well-known/other",
            "/mcp/.well-known/openid-configuration",
            "/",
        ] {
            assert!(!is_oauth_metadata(p), "{p}");
        }
    }

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
