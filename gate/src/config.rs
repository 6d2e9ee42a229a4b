//! Gate configuration: lifetimes, store bounds and tool prices, from defaults, command
//! line options and an optional TOML file:
//!
//! ```toml
//! challenge_ttl_secs = 300   # how long a challenge may be solved
//! token_ttl_secs = 300       # how long a token lasts
//! clock_skew_secs = 5
//! max_store_entries = 1000000
//! solutions = 1              # k: ask for k solutions, each at d - log2 k
//!
//! [pricing]
//! default = 16               # bits for tools not listed (0 = free)
//! free = ["status"]          # never priced
//!
//! [pricing.tools]
//! search = 20
//! "fetch_page" = 22.5
//!
//! [dynamic]                  # optional: difficulty rises with the challenge rate
//! target_rate = 10.0         # challenges per second that cost nothing extra
//! max_extra_bits = 6.0
//! half_life_secs = 30.0
//! ```

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

/// Prices per tool, in bits of difficulty.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    /// Difficulty of tools not listed; 0 makes them free.
    #[serde(default = "default_price")]
    pub default: f64,
    /// Tools that are never priced.
    #[serde(default)]
    pub free: Vec<String>,
    /// Difficulty per tool name.
    #[serde(default)]
    pub tools: HashMap<String, f64>,
}

fn default_price() -> f64 {
    16.0
}

impl Default for Pricing {
    fn default() -> Self {
        Self {
            default: default_price(),
            free: vec!["status".into()],
            tools: HashMap::new(),
        }
    }
}

impl Pricing {
    /// The difficulty of a call to `tool`, or `None` when it is free.
    ///
    /// Only an exact name is free; a price applies to every name equal to the listed
    /// one but for ASCII case (the highest such price wins), so an upstream that looks
    /// tools up case-insensitively cannot be asked for `SEARCH` at the default price.
    pub fn price(&self, tool: &str) -> Option<f64> {
        if self.free.iter().any(|f| f == tool) {
            return None;
        }
        let d = self
            .tools
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(tool))
            .map(|(_, d)| *d)
            .reduce(f64::max)
            .unwrap_or(self.default);
        (d > 0.0).then_some(d)
    }
}

/// Dynamic difficulty: extra bits when challenges are requested faster than
/// `target_rate` per second, globally or by one client: `log2(rate / target_rate)`,
/// capped at `max_extra_bits`; rates are exponentially decaying averages.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicPolicy {
    /// Challenges per second (globally, and per client) that cost nothing extra.
    pub target_rate: f64,
    /// The most bits added.
    pub max_extra_bits: f64,
    /// Half-life of the rate averages, in seconds.
    #[serde(default = "default_half_life")]
    pub half_life_secs: f64,
}

fn default_half_life() -> f64 {
    30.0
}

/// Everything the gate needs to know.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// How long a challenge may be solved, in seconds.
    #[serde(default = "default_ttl")]
    pub challenge_ttl_secs: u64,
    /// How long a token lasts, in seconds.
    #[serde(default = "default_ttl")]
    pub token_ttl_secs: u64,
    /// Clock skew allowed on expiry checks, in seconds.
    #[serde(default = "default_skew")]
    pub clock_skew_secs: u64,
    /// Solutions per challenge (`k`): each valid at `d - log2 k`, same expected work,
    /// a much shorter tail of solve times.
    #[serde(default = "default_solutions")]
    pub solutions: u32,
    /// Unexpired entries the memory replay store holds at most.
    #[serde(default = "default_max_entries")]
    pub max_store_entries: usize,
    /// Tool prices.
    #[serde(default)]
    pub pricing: Pricing,
    /// Dynamic difficulty, off unless configured.
    #[serde(default)]
    pub dynamic: Option<DynamicPolicy>,
    /// The proxy's HTTP status for payment-required answers: 402 (the default: header
    /// clients key on it), or 200 for MCP hosts whose HTTP layer turns a non-2xx answer
    /// into a transport error, so that the JSON-RPC error (code -32042, everything
    /// needed to pay in its `data`) reaches the agent, as in MPP's MCP transport.
    /// `WWW-Authenticate` is sent either way.
    #[serde(default = "default_payment_status")]
    pub payment_required_status: u16,
}

fn default_ttl() -> u64 {
    300
}
fn default_payment_status() -> u16 {
    402
}
fn default_solutions() -> u32 {
    1
}
fn default_skew() -> u64 {
    5
}
fn default_max_entries() -> usize {
    1_000_000
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            challenge_ttl_secs: default_ttl(),
            token_ttl_secs: default_ttl(),
            clock_skew_secs: default_skew(),
            solutions: default_solutions(),
            max_store_entries: default_max_entries(),
            pricing: Pricing::default(),
            dynamic: None,
            payment_required_status: default_payment_status(),
        }
    }
}

/// Why a configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Unreadable file.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML for this schema.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A value out of range.
    #[error("{0}")]
    Range(String),
}

impl GateConfig {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let cfg: GateConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks ranges: difficulties 0..=64 (more is out of any solver's reach), lifetimes
    /// 1 s to 1 day.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let d_ok = |d: f64| d.is_finite() && (0.0..=64.0).contains(&d);
        if !d_ok(self.pricing.default) {
            return Err(ConfigError::Range(format!(
                "pricing.default = {} is outside 0..=64",
                self.pricing.default
            )));
        }
        for (t, d) in &self.pricing.tools {
            if !d_ok(*d) {
                return Err(ConfigError::Range(format!(
                    "pricing.tools.{t} = {d} is outside 0..=64"
                )));
            }
        }
        for (name, v) in [
            ("challenge_ttl_secs", self.challenge_ttl_secs),
            ("token_ttl_secs", self.token_ttl_secs),
        ] {
            if !(1..=86_400).contains(&v) {
                return Err(ConfigError::Range(format!(
                    "{name} = {v} is outside 1..=86400"
                )));
            }
        }
        if !(1..=256).contains(&self.solutions) {
            return Err(ConfigError::Range(format!(
                "solutions = {} is outside 1..=256",
                self.solutions
            )));
        }
        if !matches!(self.payment_required_status, 200 | 402) {
            return Err(ConfigError::Range(format!(
                "payment_required_status = {} is not 402 or 200",
                self.payment_required_status
            )));
        }
        if let Some(p) = &self.dynamic
            && !(p.target_rate > 0.0
                && p.target_rate.is_finite()
                && (0.0..=32.0).contains(&p.max_extra_bits)
                && p.half_life_secs > 0.0
                && p.half_life_secs.is_finite())
        {
            return Err(ConfigError::Range(
                "dynamic: target_rate and half_life_secs must be > 0, max_extra_bits 0..=32".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prices() {
        let cfg: GateConfig = toml::from_str(
            "token_ttl_secs = 60\n[pricing]\ndefault = 0\nfree = [\"status\"]\n[pricing.tools]\nsearch = 20\nfetch = 18.5\n",
        )
        .unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.token_ttl_secs, 60);
        assert_eq!(cfg.challenge_ttl_secs, 300);
        assert_eq!(cfg.pricing.price("search"), Some(20.0));
        assert_eq!(cfg.pricing.price("fetch"), Some(18.5));
        assert_eq!(cfg.pricing.price("other"), None);
        assert_eq!(cfg.pricing.price("status"), None);
        assert_eq!(GateConfig::default().pricing.price("x"), Some(16.0));
        assert!(toml::from_str::<GateConfig>("bogus = 1").is_err());
        let bad: GateConfig = toml::from_str("[pricing]\ndefault = 300").unwrap();
        assert!(bad.validate().is_err());
    }
}
