//! Payments carried inside JSON-RPC (MPP's MCP transport): the credential is removed from
//! the request's `params._meta` before the proxy forwards it, and the receipt is added to
//! the answer's `result._meta`, in a JSON body or in the matching event of an SSE stream
//! ([`receipt_in_body`]), holding back at most [`MAX_HELD`] bytes.
//!
//! Both edits work on the raw JSON ([`RawValue`]): every value other than the `_meta`
//! object edited is forwarded byte for byte as the client or the upstream wrote it (a
//! round trip through [`Value`] would rewrite numbers such as `1e5` or
//! `123456789012345678901`).

use std::collections::BTreeMap;

use axum::body::Bytes;
use futures::{Stream, StreamExt};
use grindstone_core::schemes::gate::{META_CREDENTIAL, META_RECEIPT};
use serde_json::Value;
use serde_json::value::RawValue;

type RawMap = BTreeMap<String, Box<RawValue>>;

/// Edits the object at `path` (keys from the top; created when absent) inside the object
/// `raw` with `edit`; `None` when `raw` or something on the path is not an object.
fn edit_at(raw: &RawValue, path: &[&str], edit: &dyn Fn(&mut RawMap)) -> Option<Box<RawValue>> {
    let mut map: RawMap = serde_json::from_str(raw.get()).ok()?;
    match path.split_first() {
        None => edit(&mut map),
        Some((k, rest)) => {
            let inner = match map.get(*k) {
                Some(v) => edit_at(v, rest, edit)?,
                None => edit_at(&RawValue::from_string("{}".into()).ok()?, rest, edit)?,
            };
            map.insert((*k).to_string(), inner);
        }
    }
    serde_json::value::to_raw_value(&map).ok()
}

/// The body without `params._meta["org.paymentauth/credential"]` (a single JSON-RPC
/// message, already read strictly by [`crate::rpc::inspect`]).
pub fn strip_credential(body: &[u8]) -> Option<Vec<u8>> {
    let raw: Box<RawValue> = serde_json::from_slice(body).ok()?;
    let out = edit_at(&raw, &["params", "_meta"], &|m| {
        m.remove(META_CREDENTIAL);
    })?;
    Some(out.get().as_bytes().to_vec())
}

/// Adds `receipt` as `result._meta["org.paymentauth/receipt"]` to the response with
/// `id` in `json` (one message or a batch); `None` when there is none to edit.
pub fn add_receipt(json: &str, id: &Value, receipt: &Value) -> Option<String> {
    let receipt = serde_json::value::to_raw_value(receipt).ok()?;
    let add = |m: &mut RawMap| {
        m.insert(META_RECEIPT.to_string(), receipt.clone());
    };
    let one = |raw: &RawValue| -> Option<Box<RawValue>> {
        let msg: RawMap = serde_json::from_str(raw.get()).ok()?;
        let this_id: Value = serde_json::from_str(msg.get("id")?.get()).ok()?;
        if &this_id != id || !msg.contains_key("result") {
            return None;
        }
        edit_at(raw, &["result", "_meta"], &add)
    };
    if json.trim_start().starts_with('[') {
        let mut items: Vec<Box<RawValue>> = serde_json::from_str(json).ok()?;
        let (i, edited) = items
            .iter()
            .enumerate()
            .find_map(|(i, m)| one(m).map(|e| (i, e)))?;
        items[i] = edited;
        return serde_json::to_string(&items).ok();
    }
    let raw: Box<RawValue> = serde_json::from_str(json).ok()?;
    one(&raw).map(|r| r.get().to_string())
}

/// Most bytes held back while looking for the answer to put the receipt in: an SSE event
/// or a JSON body larger than this passes through without a receipt (the token is still
/// in the `X-PoW-Token` header).
pub const MAX_HELD: usize = 8 << 20;

/// How an answer's body is framed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Framing {
    /// `application/json`: the whole body is the answer.
    Json,
    /// `text/event-stream`: events cut at blank lines (`\n\n` or `\r\n\r\n`); the
    /// edited event's data keeps one `data:` line per line of its JSON.
    Sse,
}

impl Framing {
    /// The framing of a `Content-Type`, if a receipt can be placed in it.
    pub fn of(content_type: &str) -> Option<Self> {
        let ct = content_type.trim_start().to_ascii_lowercase();
        if ct.starts_with("text/event-stream") {
            Some(Self::Sse)
        } else if ct.starts_with("application/json") {
            Some(Self::Json)
        } else {
            None
        }
    }
}

/// Adds the receipt to the answer with `id` in a response body; every other byte passes
/// as it came, and nothing is held back beyond [`MAX_HELD`] bytes.
pub fn receipt_in_body<S, E>(
    upstream: S,
    framing: Framing,
    id: Value,
    receipt: Value,
) -> impl Stream<Item = Result<Bytes, E>> + Send
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Send + 'static,
{
    struct St<S> {
        upstream: std::pin::Pin<Box<S>>,
        framing: Framing,
        buf: Vec<u8>,
        /// How much of `buf` has been searched for an event's end.
        scanned: usize,
        id: Value,
        receipt: Value,
        /// The receipt is placed, or given up on: pass the rest through.
        done: bool,
        ended: bool,
    }
    let st = St {
        upstream: Box::pin(upstream),
        framing,
        buf: Vec::new(),
        scanned: 0,
        id,
        receipt,
        done: false,
        ended: false,
    };
    futures::stream::unfold(st, |mut st| async move {
        loop {
            if st.ended {
                return None;
            }
            if st.done {
                if !st.buf.is_empty() {
                    return Some((Ok(Bytes::from(std::mem::take(&mut st.buf))), st));
                }
                return st.upstream.next().await.map(|item| (item, st));
            }
            if st.buf.len() > MAX_HELD {
                st.done = true;
                continue;
            }
            if st.framing == Framing::Sse {
                // Every complete event: passed on in one piece up to the answer's, which
                // is edited (the events are cut where they end, never copied one by one).
                let mut start = 0;
                let mut from = st.scanned.saturating_sub(3);
                let mut edited = None;
                while let Some(end) = event_end(&st.buf, from) {
                    if let Some(e) = edit_event(&st.buf[start..end], &st.id, &st.receipt) {
                        edited = Some((e, end));
                        break;
                    }
                    start = end;
                    from = end;
                }
                if let Some((e, end)) = edited {
                    let mut out: Vec<u8> = st.buf.drain(..end).take(start).collect();
                    out.extend_from_slice(&e);
                    st.done = true;
                    return Some((Ok(Bytes::from(out)), st));
                }
                if start > 0 {
                    let out: Vec<u8> = st.buf.drain(..start).collect();
                    st.scanned = st.buf.len();
                    return Some((Ok(Bytes::from(out)), st));
                }
            }
            st.scanned = st.buf.len();
            match st.upstream.next().await {
                Some(Ok(chunk)) => st.buf.extend_from_slice(&chunk),
                Some(Err(e)) => return Some((Err(e), st)),
                None => {
                    st.ended = true;
                    let rest = std::mem::take(&mut st.buf);
                    let edited = match st.framing {
                        _ if rest.len() > MAX_HELD => None,
                        Framing::Json => std::str::from_utf8(&rest)
                            .ok()
                            .and_then(|t| add_receipt(t, &st.id, &st.receipt))
                            .map(String::into_bytes),
                        Framing::Sse => edit_event(&rest, &st.id, &st.receipt),
                    };
                    let out = edited.unwrap_or(rest);
                    return Some((Ok(Bytes::from(out)), st));
                }
            }
        }
    })
}

/// Where the first complete event of `buf[from..]` ends (after its blank line); `from`
/// is the start of an event, or a point up to which an earlier search found no end,
/// less three bytes (a blank line cut by a chunk boundary).
fn event_end(buf: &[u8], from: usize) -> Option<usize> {
    let tail = &buf[from..];
    // The first `\n\n`, and a `\r\n\r\n` only before it (so the earlier of the two):
    // each search stops at the first event's end, so cutting many events costs one pass
    // over the buffer.
    let lf = tail.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    let crlf = lf
        .map_or(tail, |e| &tail[..e])
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    crlf.or(lf).map(|e| from + e)
}

/// The event with the receipt added, if its data is the response with `id`.
fn edit_event(event: &[u8], id: &Value, receipt: &Value) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(event).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let data: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| d.strip_prefix(' ').unwrap_or(d))
        .collect();
    if data.is_empty() {
        return None;
    }
    let edited = add_receipt(&data.join("\n"), id, receipt)?;
    let mut out = String::new();
    let mut wrote = false;
    for l in lines.iter().filter(|l| !l.is_empty()) {
        if l.starts_with("data:") {
            if !wrote {
                // Line breaks kept inside the JSON (whitespace between its tokens: a
                // string cannot hold one) each start a data line of their own.
                for part in edited.split(['\n', '\r']) {
                    out.push_str("data: ");
                    out.push_str(part);
                    out.push('\n');
                }
                wrote = true;
            }
        } else {
            out.push_str(l);
            out.push('\n');
        }
    }
    out.push('\n');
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_credential_goes_and_everything_else_stays_as_written() {
        let body = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search","arguments":{"n":123456789012345678901,"x":1e5},"_meta":{"progressToken":"p","org.paymentauth/credential":{"payload":{"token":"t"}}}}}"#;
        let out = String::from_utf8(strip_credential(body).unwrap()).unwrap();
        assert!(!out.contains("paymentauth"), "{out}");
        assert!(out.contains(r#""n":123456789012345678901"#), "{out}");
        assert!(out.contains(r#""x":1e5"#), "{out}");
        assert!(out.contains(r#""progressToken":"p""#), "{out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["params"]["name"], "search");
        assert_eq!(v["id"], 7);
    }

    #[test]
    fn receipts_land_in_the_matching_response() {
        let r = json!({"status": "success", "token": "t"});
        let one = r#"{"jsonrpc":"2.0","id":7,"result":{"content":[],"n":1e5}}"#;
        let out: Value = serde_json::from_str(&add_receipt(one, &json!(7), &r).unwrap()).unwrap();
        assert_eq!(out["result"]["_meta"][META_RECEIPT], r);
        assert!(add_receipt(one, &json!(8), &r).is_none());
        let err = r#"{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"x"}}"#;
        assert!(add_receipt(err, &json!(7), &r).is_none());
        let keep = r#"{"jsonrpc":"2.0","id":"a","result":{"_meta":{"k":1}}}"#;
        let out: Value =
            serde_json::from_str(&add_receipt(keep, &json!("a"), &r).unwrap()).unwrap();
        assert_eq!(out["result"]["_meta"]["k"], 1);
        let batch = format!("[{err},{one}]");
        let out: Value =
            serde_json::from_str(&add_receipt(&batch, &json!(7), &r).unwrap()).unwrap();
        assert_eq!(out[1]["result"]["_meta"][META_RECEIPT], r);
        assert!(out[0].get("result").is_none());
    }

    #[tokio::test]
    async fn sse_streams_get_the_receipt_in_the_right_event_across_chunks() {
        let r = json!({"status": "success"});
        let text = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\nevent: message\r\nid: 3\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\r\ndata: \"result\":{}}\r\n\r\n: tail\n\n";
        let chunks: Vec<Result<Bytes, ()>> = text
            .as_bytes()
            .chunks(5)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let out: Vec<u8> = receipt_in_body(
            futures::stream::iter(chunks),
            Framing::Sse,
            json!(7),
            r.clone(),
        )
        .map(|c| c.unwrap().to_vec())
        .collect::<Vec<_>>()
        .await
        .concat();
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\n"), "{out}");
        assert!(out.ends_with(": tail\n\n"), "{out}");
        let line = out.lines().find(|l| l.contains("\"id\":7")).unwrap();
        let v: Value = serde_json::from_str(line.strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(v["result"]["_meta"][META_RECEIPT], r);
        assert!(out.contains("id: 3\n"), "{out}");
    }

    #[tokio::test]
    async fn multi_line_data_stays_valid_and_many_small_events_pass_in_bulk() {
        let r = json!({"status": "success"});
        let text = "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[\ndata: {\"type\":\"text\",\"text\":\"hi\"}]}}\n\n";
        let mut body = ":\n\n".repeat(100_000).into_bytes();
        body.extend_from_slice(text.as_bytes());
        let start = std::time::Instant::now();
        let items: Vec<Vec<u8>> = receipt_in_body(
            futures::stream::iter(vec![Ok::<_, ()>(Bytes::from(body))]),
            Framing::Sse,
            json!(7),
            r.clone(),
        )
        .map(|c| c.unwrap().to_vec())
        .collect()
        .await;
        assert!(items.len() <= 3, "{} pieces", items.len());
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        let out = String::from_utf8(items.concat()).unwrap();
        let event = out.rsplit(":\n\n").next().unwrap();
        // What an SSE client reads: the data lines joined by newlines.
        let data: Vec<&str> = event
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .collect();
        let v: Value = serde_json::from_str(&data.join("\n")).unwrap();
        assert_eq!(v["result"]["_meta"][META_RECEIPT], r);
        assert_eq!(v["result"]["content"][0]["text"], "hi");
    }

    #[tokio::test]
    async fn json_bodies_get_the_receipt_and_oversized_ones_pass_as_they_came() {
        let r = json!({"status": "success"});
        let run = |text: Vec<u8>, framing| {
            let chunks: Vec<Result<Bytes, ()>> = text
                .chunks(4096)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            receipt_in_body(futures::stream::iter(chunks), framing, json!(1), r.clone())
                .map(|c| c.unwrap().to_vec())
                .collect::<Vec<_>>()
        };
        let one = br#"{"jsonrpc":"2.0","id":1,"result":{"n":1e5}}"#.to_vec();
        let out: Value = serde_json::from_slice(&run(one, Framing::Json).await.concat()).unwrap();
        assert_eq!(out["result"]["_meta"][META_RECEIPT], r);
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":1,"result":{{"s":"{}"}}}}"#,
            "x".repeat(MAX_HELD + 10)
        )
        .into_bytes();
        assert!(run(big.clone(), Framing::Json).await.concat() == big);
        let mut sse = b"data: ".to_vec();
        sse.extend_from_slice(&big);
        sse.extend_from_slice(b"\n\n");
        assert!(run(sse.clone(), Framing::Sse).await.concat() == sse);
    }
}
