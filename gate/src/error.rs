//! Why the gate refused a request, and how that maps to HTTP: a status code and a JSON
//! body `{valid: false, reason, code}` ([`IntoResponse`]).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::store::StoreError;
use crate::token::TokenError;

/// Why a request was refused, with the HTTP status it maps to.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GateError {
    /// The request cannot be used at all (400).
    #[error("{0}")]
    Malformed(String),
    /// Well-formed but not acceptable (403): `code` is machine-readable.
    #[error("{reason}")]
    Invalid {
        /// `bad_signature`, `expired`, `wrong_scope`, `difficulty_mismatch`,
        /// `insufficient_work`, `bad_token`, `token_expired`.
        code: &'static str,
        /// Human-readable reason.
        reason: String,
    },
    /// The challenge was already spent (409).
    #[error("challenge already spent")]
    Spent,
    /// The replay store could not answer: fail closed (503).
    #[error(transparent)]
    Unavailable(#[from] StoreError),
}

impl GateError {
    pub(crate) fn invalid(code: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            reason: reason.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::Malformed(_) => 400,
            Self::Invalid { .. } => 403,
            Self::Spent => 409,
            Self::Unavailable(_) => 503,
        }
    }

    /// A machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Invalid { code, .. } => code,
            Self::Spent => "spent",
            Self::Unavailable(_) => "store_unavailable",
        }
    }

    /// The JSON body: `{valid: false, reason, code}`.
    pub fn body(&self) -> Value {
        json!({"valid": false, "reason": self.to_string(), "code": self.code()})
    }
}

impl From<TokenError> for GateError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Expired => Self::invalid("token_expired", e.to_string()),
            TokenError::WrongScope { .. } => Self::invalid("wrong_scope", e.to_string()),
            TokenError::TooCheap { .. } => Self::invalid("insufficient_work", e.to_string()),
            TokenError::Invalid(_) => Self::invalid("bad_token", e.to_string()),
        }
    }
}

impl IntoResponse for GateError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (code, axum::Json(self.body())).into_response()
    }
}
