//! Error types: [`Error`] for input that cannot be used at all (a caller's mistake, "bad
//! input"), [`Rejection`] for well-formed solutions that are not valid.

use thiserror::Error;

/// Input that cannot be used: malformed, out of range or over a size limit.
///
/// Front ends map this to "bad input" (exit code 2, HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// A difficulty outside the accepted range or not a number.
    #[error("difficulty {value} is out of range (accepted: {min} to {max} bits)")]
    DifficultyRange {
        /// The value given, as text.
        value: String,
        /// Smallest accepted value.
        min: u32,
        /// Largest accepted value.
        max: u32,
    },
    /// A difficulty that does not parse as a number.
    #[error("difficulty {0:?} is not a number of bits (examples: 20, 20.5)")]
    DifficultySyntax(String),
    /// A text field that is too long.
    #[error("{field} is {len} bytes long; the limit is {max}")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// A text field with a character outside the allowed set.
    #[error("{field} contains {found:?} at byte {at}; only {allowed} is allowed")]
    BadChar {
        /// Which field.
        field: &'static str,
        /// The offending character.
        found: char,
        /// Its byte offset.
        at: usize,
        /// A description of the allowed characters.
        allowed: &'static str,
    },
    /// An empty field that must not be empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A hashcash stamp that does not have the version-1 shape.
    #[error("malformed hashcash stamp: {0}")]
    MalformedStamp(String),
    /// A date that does not parse or is out of range.
    #[error("bad date {0:?}: expected YYMMDD, YYMMDDhhmm or YYMMDDhhmmss (UTC)")]
    BadDate(String),
    /// JSON that does not parse or lacks a field.
    #[error("bad JSON: {0}")]
    Json(String),
    /// A field with a value the scheme does not accept.
    #[error("unsupported {field} {value:?} (expected {expected})")]
    Unsupported {
        /// Which field.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// A nonce layout that does not fit the hash's nonce-index space or block structure.
    #[error("bad nonce layout: {0}")]
    Layout(String),
    /// A scheme name not in the registry.
    #[error(transparent)]
    UnknownScheme(#[from] crate::schemes::UnknownScheme),
}

/// Why a well-formed solution was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Rejection {
    /// The digest does not meet the difficulty.
    #[error("insufficient work: digest has {zero_bits} leading zero bits, {required} required")]
    InsufficientWork {
        /// Leading zero bits of the digest.
        zero_bits: u32,
        /// Required difficulty in bits (may be fractional).
        required: f64,
    },
    /// A hashcash stamp claims fewer bits than the policy requires.
    #[error("stamp claims {claimed} bits, {required} required")]
    TooFewBitsClaimed {
        /// Bits the stamp claims.
        claimed: u32,
        /// Bits required.
        required: u32,
    },
    /// The stamp is older than the validity period allows.
    #[error("stamp expired: dated {date}, valid for {valid_for_secs} s")]
    Expired {
        /// The stamp's date field.
        date: String,
        /// The validity period in seconds.
        valid_for_secs: u64,
    },
    /// The stamp is dated further in the future than the grace period allows.
    #[error("stamp dated in the future: {date}")]
    FutureDate {
        /// The stamp's date field.
        date: String,
    },
    /// The stamp is for another resource.
    #[error("stamp is for resource {found:?}, expected {expected:?}")]
    WrongResource {
        /// Resource in the stamp.
        found: String,
        /// Resource required.
        expected: String,
    },
    /// A multi-solution challenge got the wrong number of nonces.
    #[error("{got} nonces given, the challenge asks for {expected}")]
    SolutionCount {
        /// Nonces the challenge asks for.
        expected: u32,
        /// Nonces given.
        got: usize,
    },
    /// A multi-solution challenge got the same nonce twice.
    #[error("nonce {0:?} is given more than once; the solutions must be distinct")]
    DuplicateNonce(String),
    /// The digest (or a value derived from it) sent back is not the one recomputed.
    #[error("wrong digest: recomputed {expected}, got {got}")]
    WrongDigest {
        /// Recomputed.
        expected: String,
        /// Sent.
        got: String,
    },
    /// The signature does not match.
    #[error("bad signature")]
    BadSignature,
    /// Past its expiry.
    #[error("challenge expired at {0}")]
    ChallengeExpired(i64),
    /// The stamp or challenge was already spent.
    #[error("already spent")]
    Spent,
}

/// The result of a failed verification: either the input could not be used at all, or it
/// was well-formed but not a valid solution.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum VerifyError {
    /// Bad input (exit code 2, HTTP 400).
    #[error(transparent)]
    Malformed(#[from] Error),
    /// Well-formed but invalid (exit code 1, `valid: false`).
    #[error(transparent)]
    Rejected(#[from] Rejection),
}
