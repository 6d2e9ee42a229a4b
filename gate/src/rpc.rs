//! Strict inspection of the requests the gating proxy forwards: the proxy prices a
//! request by what it reads here, so whatever this module cannot read exactly is refused,
//! never forwarded (an upstream with a laxer parser could otherwise run a priced call
//! that the proxy saw as something else, or as nothing).
//!
//! * HTTP methods: exactly `GET`, `POST`, `DELETE` or `OPTIONS` (405 otherwise); only a
//!   `POST` may carry a body.
//! * `Content-Encoding`: absent or `identity` (415 otherwise); a `charset` in
//!   `Content-Type` other than UTF-8 is refused (415).
//! * A `POST` body is strict JSON: UTF-8 without a byte order mark, no duplicate object
//!   keys, nesting at most [`MAX_DEPTH`] deep, no `NaN`/`Infinity`, no number beyond
//!   `f64`, no lone surrogate, nothing after the value (400, JSON-RPC `-32700`).
//! * It is one JSON-RPC 2.0 message or a non-empty batch of them: requests and
//!   notifications (`method` a string, `params` an object or array, `id` a string, an
//!   integer or null), or responses (`result` or `error`, with an `id`) (400, `-32600`).
//! * A `tools/call` names its tool in `params.name`, a string of at most
//!   [`MAX_TOOL_NAME`] bytes; a method that is `tools/call` but for ASCII case or
//!   surrounding whitespace is refused (400, `-32600`).
//! * A payment in `params._meta` under `org.paymentauth/credential` is read in
//!   single-message bodies only: a batch carrying one is refused (400, `-32600`).
//! * The 2026-07-28 routing headers `Mcp-Method` and `Mcp-Name`, when present, must agree
//!   with the body (400, `-32600`).

use std::fmt;

use axum::http::{HeaderMap, Method, StatusCode, header};
use grindstone_core::schemes::gate::META_CREDENTIAL;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Deepest nesting of arrays and objects accepted in a body (the message itself is 1).
pub const MAX_DEPTH: usize = 64;
/// The routing header naming the JSON-RPC method (MCP 2026-07-28).
pub const MCP_METHOD_HEADER: &str = "mcp-method";
/// The routing header naming the tool, prompt or resource (MCP 2026-07-28).
pub const MCP_NAME_HEADER: &str = "mcp-name";
/// Longest tool name the gate prices: its scope `tool:NAME` must fit in a challenge.
pub const MAX_TOOL_NAME: usize =
    grindstone_core::schemes::gate::MAX_SCOPE_LEN - TOOL_SCOPE_PREFIX.len();
/// The prefix of a tool's scope: `tool:NAME`.
pub use grindstone_core::schemes::gate::TOOL_SCOPE_PREFIX;
/// JSON-RPC: the body is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: the JSON is not a valid request.
pub const INVALID_REQUEST: i64 = -32600;

/// A request the proxy refuses to forward.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// The HTTP method is not one the proxy forwards (405).
    #[error("method {0} is not allowed (GET, POST, DELETE, OPTIONS)")]
    Method(String),
    /// The body is encoded in a way the proxy does not read (415).
    #[error("{0}")]
    Encoding(String),
    /// The body is not strict UTF-8 JSON (400, `-32700`).
    #[error("parse error: {0}")]
    Parse(String),
    /// The JSON is not JSON-RPC the proxy can price, or disagrees with the routing
    /// headers (400, `-32600`).
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl Refusal {
    /// The HTTP status of the refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Method(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Encoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Parse(_) | Self::Invalid(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// The JSON-RPC error code of the refusal.
    pub fn rpc_code(&self) -> i64 {
        match self {
            Self::Parse(_) => PARSE_ERROR,
            _ => INVALID_REQUEST,
        }
    }
}

/// One JSON-RPC message of a body, as far as pricing needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The method (`None` for a response).
    pub method: Option<String>,
    /// The request id (`Null` for notifications and absent ids).
    pub id: Value,
    /// For `tools/call`: the tool's name.
    pub tool: Option<String>,
    /// A payment in `params._meta` under [`META_CREDENTIAL`], as sent.
    pub credential: Option<Value>,
}

/// What a request carries, read strictly.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inspected {
    /// The JSON-RPC messages of a `POST` body (empty for other methods).
    pub messages: Vec<Message>,
}

impl Inspected {
    /// The `tools/call` messages, with their tool names.
    pub fn tool_calls(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.messages
            .iter()
            .filter_map(|m| m.tool.as_deref().map(|t| (t, &m.id)))
    }
}

/// Reads a JSON value with duplicate object keys refused and nesting bounded: `depth`
/// containers enclose the value being read.
#[derive(Clone, Copy)]
struct Strict {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Strict {
    /// The seed for the values inside a container at this level.
    fn inner<E: de::Error>(self) -> Result<Self, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format_args!(
                "nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(Self {
            depth: self.depth + 1,
        })
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(inner)?;
            if out.contains_key(&k) {
                return Err(de::Error::custom(format_args!("duplicate key {k:?}")));
            }
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

/// Parses `body` as strict JSON (see the [module documentation](self)).
pub fn parse_strict(body: &[u8]) -> Result<Value, Refusal> {
    if body.starts_with(&[0xef, 0xbb, 0xbf]) {
        return Err(Refusal::Parse("byte order mark before the JSON".into()));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        Refusal::Parse(format!(
            "body is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    if text.trim_ascii().is_empty() {
        return Err(Refusal::Parse("empty body".into()));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    Strict { depth: 0 }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| Refusal::Parse(e.to_string()))
}

fn invalid(msg: impl Into<String>) -> Refusal {
    Refusal::Invalid(msg.into())
}

/// Reads one JSON-RPC message.
fn message(v: &Value) -> Result<Message, Refusal> {
    let Value::Object(o) = v else {
        return Err(invalid("a JSON-RPC message must be an object"));
    };
    if o.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid("\"jsonrpc\" must be \"2.0\""));
    }
    let id = match o.get("id") {
        None => Value::Null,
        Some(id @ (Value::String(_) | Value::Null)) => id.clone(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Value::Number(n.clone()),
        Some(_) => return Err(invalid("\"id\" must be a string, an integer or null")),
    };
    let Some(method) = o.get("method") else {
        // A response (to a server's request).
        if o.contains_key("params") {
            return Err(invalid(
                "a message without \"method\" cannot have \"params\"",
            ));
        }
        if o.contains_key("result") == o.contains_key("error") {
            return Err(invalid(
                "a message needs \"method\", or exactly one of \"result\" and \"error\"",
            ));
        }
        if !o.contains_key("id") {
            return Err(invalid("a response needs an \"id\""));
        }
        return Ok(Message {
            method: None,
            id,
            tool: None,
            credential: None,
        });
    };
    let Value::String(method) = method else {
        return Err(invalid("\"method\" must be a string"));
    };
    if o.contains_key("result") || o.contains_key("error") {
        return Err(invalid(
            "a request cannot carry \"result\" or \"error\" as well",
        ));
    }
    let params = o.get("params");
    if !matches!(params, None | Some(Value::Object(_) | Value::Array(_))) {
        return Err(invalid("\"params\" must be an object or an array"));
    }
    let tool = if method == "tools/call" {
        match params.and_then(|p| p.get("name")) {
            Some(Value::String(name)) if name.len() > MAX_TOOL_NAME => {
                return Err(invalid(format!(
                    "tools/call: a tool name of {} bytes cannot be priced (at most {MAX_TOOL_NAME})",
                    name.len()
                )));
            }
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => return Err(invalid("tools/call: \"params.name\" must be a string")),
            None => return Err(invalid("tools/call: \"params.name\" is missing")),
        }
    } else {
        if method.trim().eq_ignore_ascii_case("tools/call") {
            return Err(invalid(format!(
                "method {method:?} is not exactly \"tools/call\""
            )));
        }
        None
    };
    let credential = params
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(META_CREDENTIAL))
        .cloned();
    Ok(Message {
        method: Some(method.clone()),
        id,
        tool,
        credential,
    })
}

/// The single value of a header, or a refusal when it is repeated or not text.
fn single_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, Refusal> {
    let mut all = headers.get_all(name).iter();
    let Some(v) = all.next() else {
        return Ok(None);
    };
    if all.next().is_some() {
        return Err(invalid(format!("{name} is repeated")));
    }
    v.to_str()
        .map(|s| Some(s.trim()))
        .map_err(|_| invalid(format!("{name} is not text")))
}

/// A routing header's value: as sent, or decoded from the `=?base64?...?=` form that
/// carries names which are not plain header text (MCP 2026-07-28).
fn decode_header_value(v: &str) -> Result<String, Refusal> {
    use base64::Engine as _;
    let Some(b64) = v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    else {
        return Ok(v.to_string());
    };
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| invalid(format!("Mcp-Name {v:?} is not valid base64 UTF-8")))
}

/// Checks the routing headers against the body's messages.
fn check_routing(headers: &HeaderMap, msgs: &[Message], raw: &Value) -> Result<(), Refusal> {
    let method = single_header(headers, MCP_METHOD_HEADER)?;
    let name = single_header(headers, MCP_NAME_HEADER)?;
    if method.is_none() && name.is_none() {
        return Ok(());
    }
    let [m] = msgs else {
        return Err(invalid(
            "Mcp-Method/Mcp-Name headers come with one message, not a batch",
        ));
    };
    if let Some(h) = method
        && m.method.as_deref() != Some(h)
    {
        return Err(invalid(format!(
            "Mcp-Method {h:?} does not match the body's method {:?}",
            m.method.as_deref().unwrap_or("(none: a response)")
        )));
    }
    if let Some(h) = name {
        let h = decode_header_value(h)?;
        let h = h.as_str();
        // The name a routing header refers to: the tool or prompt name, or the resource URI.
        let params = raw.get("params");
        let body_name = match m.method.as_deref() {
            Some("tools/call" | "prompts/get") => params.and_then(|p| p.get("name")),
            Some("resources/read" | "resources/subscribe" | "resources/unsubscribe") => {
                params.and_then(|p| p.get("uri"))
            }
            _ => None,
        }
        .and_then(Value::as_str);
        if body_name != Some(h) {
            return Err(invalid(format!(
                "Mcp-Name {h:?} does not match the body's {}",
                body_name.map_or("(no name)".to_string(), |n| format!("{n:?}"))
            )));
        }
    }
    Ok(())
}

/// Inspects a request the proxy is about to forward (see the
/// [module documentation](self)): `Ok` with the JSON-RPC messages of a `POST` body, or the
/// refusal to answer instead of forwarding.
pub fn inspect(method: &Method, headers: &HeaderMap, body: &[u8]) -> Result<Inspected, Refusal> {
    // `Method` compares the exact token: `post` or `Post` is another method.
    let is_post = *method == Method::POST;
    if !(is_post
        || *method == Method::GET
        || *method == Method::DELETE
        || *method == Method::OPTIONS)
    {
        return Err(Refusal::Method(method.as_str().chars().take(32).collect()));
    }
    for v in headers.get_all(header::CONTENT_ENCODING) {
        let ok = v.to_str().is_ok_and(|s| {
            s.split(',')
                .all(|c| c.trim().eq_ignore_ascii_case("identity"))
        });
        if !ok {
            return Err(Refusal::Encoding(
                "Content-Encoding other than identity is not accepted".into(),
            ));
        }
    }
    if !is_post {
        if !body.is_empty() {
            return Err(invalid(format!("a {method} request cannot carry a body")));
        }
        if headers.contains_key(MCP_METHOD_HEADER) || headers.contains_key(MCP_NAME_HEADER) {
            return Err(invalid("Mcp-Method/Mcp-Name headers come with a POST body"));
        }
        return Ok(Inspected::default());
    }
    for v in headers.get_all(header::CONTENT_TYPE) {
        let Ok(ct) = v.to_str() else {
            return Err(Refusal::Encoding("Content-Type is not text".into()));
        };
        for param in ct.split(';').skip(1) {
            if let Some((k, val)) = param.split_once('=')
                && k.trim().eq_ignore_ascii_case("charset")
            {
                let cs = val.trim().trim_matches('"');
                if !(cs.eq_ignore_ascii_case("utf-8") || cs.eq_ignore_ascii_case("utf8")) {
                    return Err(Refusal::Encoding(format!(
                        "charset {cs:?} is not accepted: bodies are UTF-8"
                    )));
                }
            }
        }
    }
    let v = parse_strict(body)?;
    let (messages, single) = match &v {
        Value::Array(a) if a.is_empty() => return Err(invalid("empty batch")),
        Value::Array(a) => {
            let msgs = a.iter().map(message).collect::<Result<Vec<_>, _>>()?;
            if msgs.iter().any(|m| m.credential.is_some()) {
                return Err(invalid(format!(
                    "a payment in params._meta ({META_CREDENTIAL}) is read in single-message \
                     bodies only, not in a batch"
                )));
            }
            (msgs, None)
        }
        m => (vec![message(m)?], Some(m)),
    };
    check_routing(headers, &messages, single.unwrap_or(&Value::Null))?;
    Ok(Inspected { messages })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const CALL: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"q":"x"}}}"#;

    fn post(body: &[u8]) -> Result<Inspected, Refusal> {
        inspect(&Method::POST, &HeaderMap::new(), body)
    }

    fn tools(r: &Inspected) -> Vec<String> {
        r.tool_calls().map(|(t, _)| t.to_string()).collect()
    }

    #[test]
    fn reads_calls_and_batches() {
        let r = post(CALL.as_bytes()).unwrap();
        assert_eq!(tools(&r), ["search"]);
        assert_eq!(r.messages[0].id, Value::from(1));
        let batch = format!(
            r#"[{CALL},{{"jsonrpc":"2.0","method":"notifications/initialized"}},{{"jsonrpc":"2.0","id":"s1","result":{{}}}}]"#
        );
        let r = post(batch.as_bytes()).unwrap();
        assert_eq!(tools(&r), ["search"]);
        assert_eq!(r.messages.len(), 3);
        // Escapes are decoded before anything is compared.
        let esc = r#"{"jsonrpc":"2.0","id":1,"me\u0074hod":"tools\/call","params":{"name":"se\u0061rch"}}"#;
        assert_eq!(tools(&post(esc.as_bytes()).unwrap()), ["search"]);
        assert!(
            inspect(&Method::GET, &HeaderMap::new(), b"")
                .unwrap()
                .messages
                .is_empty()
        );
    }

    #[test]
    fn refuses_what_laxer_parsers_accept() {
        let deep = |n: usize| {
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"search","arguments":{{"x":{}1{}}}}}}}"#,
                "[".repeat(n),
                "]".repeat(n)
            )
        };
        let utf16: Vec<u8> = CALL.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let utf32: Vec<u8> = CALL
            .chars()
            .flat_map(|c| (c as u32).to_be_bytes())
            .collect();
        let cases: Vec<(Vec<u8>, i64)> = vec![
            (
                [&[0xef, 0xbb, 0xbf][..], CALL.as_bytes()].concat(),
                PARSE_ERROR,
            ),
            (utf16, PARSE_ERROR),
            (utf32, PARSE_ERROR),
            (
                CALL.replace(r#""q":"x""#, r#""q":NaN"#).into_bytes(),
                PARSE_ERROR,
            ),
            (
                CALL.replace(r#""q":"x""#, r#""q":Infinity"#).into_bytes(),
                PARSE_ERROR,
            ),
            (
                CALL.replace(r#""q":"x""#, r#""q":-Infinity"#).into_bytes(),
                PARSE_ERROR,
            ),
            (
                CALL.replace(r#""q":"x""#, r#""q":1e400"#).into_bytes(),
                PARSE_ERROR,
            ),
            (
                CALL.replace(r#""q":"x""#, r#""q":"\ud800""#).into_bytes(),
                PARSE_ERROR,
            ),
            (deep(140).into_bytes(), PARSE_ERROR),
            (deep(5000).into_bytes(), PARSE_ERROR),
            (
                CALL.replace(r#""id":1,"#, r#""id":1,"method":"tools/list","#)
                    .into_bytes(),
                PARSE_ERROR,
            ),
            (
                CALL.replace(r#""name":"search""#, r#""name":"status","name":"search""#)
                    .into_bytes(),
                PARSE_ERROR,
            ),
            (format!("{CALL} x").into_bytes(), PARSE_ERROR),
            (format!("{CALL}{CALL}").into_bytes(), PARSE_ERROR),
            (b"".to_vec(), PARSE_ERROR),
            (b"  ".to_vec(), PARSE_ERROR),
            (b"[]".to_vec(), INVALID_REQUEST),
            (b"1".to_vec(), INVALID_REQUEST),
            (b"[1]".to_vec(), INVALID_REQUEST),
            (
                CALL.replace(r#""jsonrpc":"2.0","#, "").into_bytes(),
                INVALID_REQUEST,
            ),
            (
                CALL.replace(r#""name":"search""#, r#""name":5"#)
                    .into_bytes(),
                INVALID_REQUEST,
            ),
            (
                CALL.replace(r#""name":"search","#, "").into_bytes(),
                INVALID_REQUEST,
            ),
            (
                CALL.replace("search", &"s".repeat(MAX_TOOL_NAME + 1))
                    .into_bytes(),
                INVALID_REQUEST,
            ),
            (
                CALL.replace("tools/call", "Tools/Call").into_bytes(),
                INVALID_REQUEST,
            ),
            (
                CALL.replace("tools/call", "tools/call ").into_bytes(),
                INVALID_REQUEST,
            ),
            (
                CALL.replace(r#""id":1"#, r#""id":1.5"#).into_bytes(),
                INVALID_REQUEST,
            ),
            (
                CALL.replace(r#""id":1"#, r#""id":[1]"#).into_bytes(),
                INVALID_REQUEST,
            ),
            (
                CALL.replace(r#""params":{"#, r#""params":"x","p":{"#)
                    .into_bytes(),
                INVALID_REQUEST,
            ),
        ];
        for (body, code) in cases {
            let e = post(&body).expect_err(&String::from_utf8_lossy(&body));
            assert_eq!(
                e.rpc_code(),
                code,
                "{e}: {}",
                String::from_utf8_lossy(&body)
            );
            assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        }
        // Within the limit is fine.
        assert_eq!(
            tools(&post(deep(MAX_DEPTH - 4).as_bytes()).unwrap()),
            ["search"]
        );
    }

    #[test]
    fn methods_encodings_and_routing_headers() {
        for m in [
            "PUT", "PATCH", "HEAD", "TRACE", "CONNECT", "post", "Post", "PROPFIND",
        ] {
            let m = Method::from_bytes(m.as_bytes()).unwrap();
            assert_eq!(
                inspect(&m, &HeaderMap::new(), CALL.as_bytes())
                    .unwrap_err()
                    .status(),
                StatusCode::METHOD_NOT_ALLOWED
            );
        }
        let e = inspect(&Method::GET, &HeaderMap::new(), CALL.as_bytes()).unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.append(*k, HeaderValue::from_static(v));
            }
            inspect(&Method::POST, &h, CALL.as_bytes())
        };
        for enc in ["gzip", "br", "identity, gzip", "deflate"] {
            assert_eq!(
                with(&[("content-encoding", enc)]).unwrap_err().status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            );
        }
        assert!(with(&[("content-encoding", "identity")]).is_ok());
        assert!(with(&[("content-type", "application/json; charset=UTF-8")]).is_ok());
        assert_eq!(
            with(&[("content-type", "application/json; charset=utf-16")])
                .unwrap_err()
                .status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert!(with(&[("mcp-method", "tools/call"), ("mcp-name", "search")]).is_ok());
        assert!(
            with(&[
                ("mcp-method", "tools/call"),
                ("mcp-name", "=?base64?c2VhcmNo?=")
            ])
            .is_ok()
        );
        assert!(
            with(&[("mcp-name", "=?base64?c3RhdHVz?=")]).is_err(),
            "decodes to status"
        );
        assert!(with(&[("mcp-name", "=?base64?!!?=")]).is_err());
        assert!(with(&[("mcp-method", "tools/call")]).is_ok());
        for bad in [
            &[("mcp-method", "tools/list")][..],
            &[("mcp-method", "tools/call"), ("mcp-name", "status")],
            &[("mcp-name", "status")],
            &[("mcp-method", "tools/call"), ("mcp-method", "tools/call")],
            &[("mcp-method", "Tools/call")],
        ] {
            let e = with(bad).unwrap_err();
            assert_eq!(e.rpc_code(), INVALID_REQUEST, "{bad:?}");
        }
    }
}
