//! `hashcash`: version-1 stamps `1:bits:date:resource:ext:rand:counter`.
//!
//! A stamp is valid when the SHA-1 of its text has at least `bits` leading zero bits, its
//! date lies in the validity window, and its resource is the one expected (the double-spend
//! database is kept by the caller; this crate does no I/O).
//!
//! Parsing takes `rand` and `counter` from the right and `ver`, `bits`, `date` from the
//! left; `ext` is the field before `rand`, and the resource is everything between the date
//! and `ext`. So a resource containing `:` (which hashcash 1.22 does not escape when it
//! mints) is read back whole: `1:20:…:mcp-tool:search::rand:ctr` is for
//! `mcp-tool:search`. hashcash 1.22 itself reads that resource as `mcp-tool`.

use std::time::Duration;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::difficulty::Target;
use crate::error::{Error, Rejection};
use crate::job::{Alphabet, Digest, HashAlg, Job, Predicate};
use crate::schemes::aligned_nonce_len;

/// Scheme name as used on the command line.
pub const NAME: &str = "hashcash";
/// Longest stamp accepted, in bytes.
pub const MAX_STAMP_LEN: usize = 1024;
/// Largest number of bits a SHA-1 stamp can claim.
pub const MAX_BITS: u32 = 160;
/// Default validity period (hashcash's default: 28 days).
pub const DEFAULT_VALIDITY: Duration = Duration::from_secs(28 * 24 * 3600);
/// Default grace period for clock skew (hashcash's default: 2 days).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(2 * 24 * 3600);
/// Number of varying counter characters in minted stamps: `64^10 = 2^60` candidates.
pub const VARYING_CHARS: usize = 10;
/// Number of random characters in minted stamps (96 bits, as hashcash).
pub const RAND_CHARS: usize = 16;

/// A parsed version-1 stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    text: String,
    bits: u32,
    date: String,
    time: i64,
    resource: String,
    ext: String,
    rand: String,
    counter: String,
}

impl Stamp {
    /// Parses a bare stamp (surrounding whitespace ignored). For header text with an
    /// `X-Hashcash:` prefix or folded lines, use [`stamps_in_text`] first.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        let bad = |why: &str| Error::MalformedStamp(format!("{why}: {text:?}"));
        if text.is_empty() {
            return Err(Error::Empty("stamp"));
        }
        if text.len() > MAX_STAMP_LEN {
            return Err(Error::TooLong {
                field: "stamp",
                len: text.len(),
                max: MAX_STAMP_LEN,
            });
        }
        if let Some((at, found)) = text.char_indices().find(|&(_, c)| !c.is_ascii_graphic()) {
            return Err(Error::BadChar {
                field: "stamp",
                found,
                at,
                allowed: "printable ASCII without spaces",
            });
        }
        let fields: Vec<&str> = text.split(':').collect();
        match fields[0] {
            "1" => {}
            "0" => return Err(bad("version-0 stamps are not supported")),
            _ => return Err(bad("not a version-1 stamp (must start with \"1:\")")),
        }
        if fields.len() < 7 {
            return Err(bad(
                "expected 7 fields ver:bits:date:resource:ext:rand:counter",
            ));
        }
        let n = fields.len();
        let bits_text = fields[1];
        if bits_text.is_empty() || !bits_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the bits field is not a number"));
        }
        let bits: u32 = bits_text
            .parse()
            .ok()
            .filter(|&b| b <= MAX_BITS)
            .ok_or_else(|| bad("the bits field is over 160"))?;
        let date = fields[2].to_string();
        let time = parse_date(&date)?;
        let (rand, counter) = (fields[n - 2], fields[n - 1]);
        if rand.is_empty() {
            return Err(bad("empty rand field"));
        }
        if counter.is_empty() {
            return Err(bad("empty counter field"));
        }
        Ok(Self {
            text: text.to_string(),
            bits,
            date,
            time,
            resource: fields[3..n - 3].join(":"),
            ext: fields[n - 3].to_string(),
            rand: rand.to_string(),
            counter: counter.to_string(),
        })
    }

    /// The stamp text.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// The bits the stamp claims.
    pub fn bits(&self) -> u32 {
        self.bits
    }
    /// The date field as written.
    pub fn date(&self) -> &str {
        &self.date
    }
    /// The date as Unix seconds (UTC).
    pub fn time(&self) -> i64 {
        self.time
    }
    /// The resource.
    pub fn resource(&self) -> &str {
        &self.resource
    }
    /// The extension field.
    pub fn ext(&self) -> &str {
        &self.ext
    }
    /// The random field.
    pub fn rand(&self) -> &str {
        &self.rand
    }
    /// The counter field.
    pub fn counter(&self) -> &str {
        &self.counter
    }
    /// SHA-1 of the stamp text.
    pub fn digest(&self) -> Digest {
        HashAlg::Sha1.digest_message(self.text.as_bytes())
    }
}

/// Extracts stamps from text: one per line, with an optional `X-Hashcash:` or
/// `Hashcash:` header name, and folded header lines (a line starting with a space or tab
/// continues the previous one) joined back. Empty lines are skipped.
pub fn stamps_in_text(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) && !out.is_empty() {
            out.last_mut().expect("non-empty").push_str(line.trim());
            continue;
        }
        let mut l = line.trim();
        for name in ["x-hashcash:", "hashcash:"] {
            // Compared as bytes: `l` may start with a multi-byte character.
            if l.as_bytes()
                .get(..name.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(name.as_bytes()))
            {
                l = l[name.len()..].trim();
                break;
            }
        }
        if !l.is_empty() {
            out.push(l.to_string());
        }
    }
    out
}

/// What a stamp must satisfy besides its own claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckPolicy {
    /// Bits the stamp must claim (and carry); `None` accepts the stamp's own claim.
    pub required_bits: Option<u32>,
    /// The resource it must be for; `None` does not check the resource.
    pub resource: Option<String>,
    /// Compare resources case-sensitively (hashcash's default is insensitive).
    pub case_sensitive: bool,
    /// How long a stamp stays valid after its date; `None` means forever.
    pub validity: Option<Duration>,
    /// Allowed clock skew, both for future dates and for expiry.
    pub grace: Duration,
    /// The current time, Unix seconds.
    pub now: i64,
}

impl CheckPolicy {
    /// hashcash's defaults (28-day validity, 2-day grace, case-insensitive) at `now`.
    pub fn new(now: i64) -> Self {
        Self {
            required_bits: None,
            resource: None,
            case_sensitive: false,
            validity: Some(DEFAULT_VALIDITY),
            grace: DEFAULT_GRACE,
            now,
        }
    }
}

/// A stamp that passed [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The stamp's claimed bits.
    pub bits: u32,
    /// Leading zero bits of its SHA-1 (at least `bits`).
    pub zero_bits: u32,
    /// When it expires (Unix seconds), if it does.
    pub expires_at: Option<i64>,
}

/// Checks a stamp against a policy, cheapest tests first: claimed bits, the SHA-1 work,
/// the resource, the date window. Double spending is the caller's to check afterwards.
pub fn check(stamp: &Stamp, policy: &CheckPolicy) -> Result<Checked, Rejection> {
    if let Some(required) = policy.required_bits
        && stamp.bits < required
    {
        return Err(Rejection::TooFewBitsClaimed {
            claimed: stamp.bits,
            required,
        });
    }
    let digest = stamp.digest();
    let zero_bits = digest.leading_zero_bits();
    if !Target::leading_zero_bits(stamp.bits).is_met(digest.words()) {
        return Err(Rejection::InsufficientWork {
            zero_bits,
            required: f64::from(stamp.bits),
        });
    }
    if let Some(expected) = &policy.resource {
        let same = if policy.case_sensitive {
            stamp.resource == *expected
        } else {
            stamp.resource.eq_ignore_ascii_case(expected)
        };
        if !same {
            return Err(Rejection::WrongResource {
                found: stamp.resource.clone(),
                expected: expected.clone(),
            });
        }
    }
    let grace = policy.grace.as_secs() as i64;
    if stamp.time > policy.now.saturating_add(grace) {
        return Err(Rejection::FutureDate {
            date: stamp.date.clone(),
        });
    }
    let expires_at = policy
        .validity
        .map(|v| stamp.time.saturating_add(v.as_secs() as i64));
    if let (Some(exp), Some(v)) = (expires_at, policy.validity)
        && policy.now > exp.saturating_add(grace)
    {
        return Err(Rejection::Expired {
            date: stamp.date.clone(),
            valid_for_secs: v.as_secs(),
        });
    }
    Ok(Checked {
        bits: stamp.bits,
        zero_bits,
        expires_at,
    })
}

/// Width of the date field: `YYMMDD`, `YYMMDDhhmm` or `YYMMDDhhmmss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateWidth {
    /// `YYMMDD` (hashcash's default).
    Day = 6,
    /// `YYMMDDhhmm`.
    Minute = 10,
    /// `YYMMDDhhmmss`.
    Second = 12,
}

impl DateWidth {
    /// From the number of characters (6, 10 or 12).
    pub fn from_chars(n: u32) -> Result<Self, Error> {
        match n {
            6 => Ok(Self::Day),
            10 => Ok(Self::Minute),
            12 => Ok(Self::Second),
            _ => Err(Error::BadDate(format!("width {n} (use 6, 10 or 12)"))),
        }
    }
}

/// Formats Unix seconds as a UTC stamp date of the given width.
pub fn format_date(unix: i64, width: DateWidth) -> Result<String, Error> {
    let t =
        OffsetDateTime::from_unix_timestamp(unix).map_err(|_| Error::BadDate(unix.to_string()))?;
    let day = format!(
        "{:02}{:02}{:02}",
        t.year().rem_euclid(100),
        u8::from(t.month()),
        t.day()
    );
    Ok(match width {
        DateWidth::Day => day,
        DateWidth::Minute => format!("{day}{:02}{:02}", t.hour(), t.minute()),
        DateWidth::Second => format!("{day}{:02}{:02}{:02}", t.hour(), t.minute(), t.second()),
    })
}

/// Parses a UTC stamp date (`YYMMDD[hhmm[ss]]`; years 70-99 are 19xx, 00-69 are 20xx)
/// into Unix seconds.
pub fn parse_date(s: &str) -> Result<i64, Error> {
    let bad = || Error::BadDate(s.to_string());
    if !matches!(s.len(), 6 | 10 | 12) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |i: usize| -> u8 { (s.as_bytes()[i] - b'0') * 10 + (s.as_bytes()[i + 1] - b'0') };
    let yy = i32::from(num(0));
    let year = if yy >= 70 { 1900 + yy } else { 2000 + yy };
    let month = Month::try_from(num(2)).map_err(|_| bad())?;
    let date = Date::from_calendar_date(year, month, num(4)).map_err(|_| bad())?;
    let (h, m, sec) = match s.len() {
        6 => (0, 0, 0),
        10 => (num(6), num(8), 0),
        _ => (num(6), num(8), num(10)),
    };
    let time = Time::from_hms(h, m, sec).map_err(|_| bad())?;
    Ok(PrimitiveDateTime::new(date, time)
        .assume_utc()
        .unix_timestamp())
}

/// Encodes 12 random bytes as the 16-character base64 `rand` field.
pub fn rand_field(bytes: [u8; 12]) -> String {
    const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(RAND_CHARS);
    for c in bytes.chunks_exact(3) {
        let v = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        for k in (0..4).rev() {
            out.push(STD[((v >> (6 * k)) & 63) as usize] as char);
        }
    }
    out
}

/// What to mint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintRequest {
    /// Bits of work (0..=160; more than ~50 is out of reach).
    pub bits: u32,
    /// The resource (printable ASCII, no spaces; `:` is allowed, see the module docs).
    pub resource: String,
    /// The extension field (printable ASCII without `:` or spaces; usually empty).
    pub ext: String,
    /// The stamp date, Unix seconds.
    pub date: i64,
    /// The date field's width.
    pub date_width: DateWidth,
    /// The random field (see [`rand_field`]).
    pub rand: String,
}

/// A planned mint: the [`Job`] and the stamp text before its varying counter characters.
#[derive(Debug, Clone)]
pub struct MintPlan {
    job: Job,
    prefix: String,
}

impl MintPlan {
    /// The job to search.
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// The stamp for nonce index `index`.
    pub fn stamp(&self, index: u64) -> String {
        let mut s = self.prefix.clone();
        s.push_str(&self.job.nonce_chars(index));
        s
    }
}

impl MintRequest {
    /// Plans the search. The counter is `0`s then [`VARYING_CHARS`] base64 characters,
    /// padded (as hashcash pads) so that the stamp is 55 bytes modulo 64 long and the
    /// varying characters fill the last message words of the final SHA-1 block.
    pub fn plan(&self) -> Result<MintPlan, Error> {
        if self.bits > MAX_BITS {
            return Err(Error::DifficultyRange {
                value: self.bits.to_string(),
                min: 0,
                max: MAX_BITS,
            });
        }
        let token = |field: &'static str, s: &str, colon_ok: bool, empty_ok: bool| {
            if s.is_empty() && !empty_ok {
                return Err(Error::Empty(field));
            }
            if let Some((at, found)) = s
                .char_indices()
                .find(|&(_, c)| !c.is_ascii_graphic() || (c == ':' && !colon_ok))
            {
                return Err(Error::BadChar {
                    field,
                    found,
                    at,
                    allowed: if colon_ok {
                        "printable ASCII without spaces"
                    } else {
                        "printable ASCII without spaces or ':'"
                    },
                });
            }
            Ok(())
        };
        token("resource", &self.resource, true, false)?;
        token("ext", &self.ext, false, true)?;
        token("rand", &self.rand, false, false)?;
        let date = format_date(self.date, self.date_width)?;
        let head = format!(
            "1:{}:{}:{}:{}:{}:",
            self.bits, date, self.resource, self.ext, self.rand
        );
        let counter_len = aligned_nonce_len(head.len(), VARYING_CHARS);
        if head.len() + counter_len > MAX_STAMP_LEN {
            return Err(Error::TooLong {
                field: "stamp",
                len: head.len() + counter_len,
                max: MAX_STAMP_LEN,
            });
        }
        let mut prefix = head;
        prefix.extend(std::iter::repeat_n('0', counter_len - VARYING_CHARS));
        let job = Job::new(
            HashAlg::Sha1,
            prefix.as_bytes(),
            VARYING_CHARS,
            Alphabet::Base64,
            b"",
            Predicate::AtMost(Target::leading_zero_bits(self.bits)),
        )?;
        Ok(MintPlan { job, prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_date("700101").unwrap(), 0);
        assert_eq!(parse_date("261121").unwrap(), 1_795_219_200);
        let t = parse_date("261121211322").unwrap();
        assert_eq!(format_date(t, DateWidth::Second).unwrap(), "261121211322");
        assert_eq!(format_date(t, DateWidth::Minute).unwrap(), "2611212113");
        assert_eq!(format_date(t, DateWidth::Day).unwrap(), "261121");
        assert_eq!(parse_date("040806").unwrap(), 1_091_750_400);
        for bad in [
            "",
            "2611",
            "26112",
            "261321",
            "261132",
            "2611212460",
            "26112a",
            "2611212113601",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parse_fields() {
        let s =
            Stamp::parse("1:20:261121:api.example.com:ext=1;k=v:EPDLEuhrM8MT/7Wb:01szh").unwrap();
        assert_eq!(s.bits(), 20);
        assert_eq!(s.resource(), "api.example.com");
        assert_eq!(s.ext(), "ext=1;k=v");
        assert_eq!(s.rand(), "EPDLEuhrM8MT/7Wb");
        assert_eq!(s.counter(), "01szh");
        let s = Stamp::parse("1:20:261121211322:mcp-tool:search::vjRL:0003KDM").unwrap();
        assert_eq!(s.resource(), "mcp-tool:search");
        assert_eq!(s.ext(), "");
        for bad in [
            "",
            "0:040806:foo:abc",
            "2:20:261121:foo::r:c",
            "1:20:261121:foo::r",
            "1:x:261121:foo::r:c",
            "1:161:261121:foo::r:c",
            "1:20:2611:foo::r:c",
            "1:20:261121:foo:::c",
            "1:20:261121:foo::r:",
            "1:20:261121:fo o::r:c",
        ] {
            assert!(Stamp::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn header_unfolding() {
        let t = "X-Hashcash: 1:20:261121:alice@example.org::P/iL:00000\n\t0002F+H\nhashcash: 1:8:261121:b::r:c\n\n";
        assert_eq!(
            stamps_in_text(t),
            vec![
                "1:20:261121:alice@example.org::P/iL:000000002F+H",
                "1:8:261121:b::r:c"
            ]
        );
        // Found by fuzzing (fuzz/seeds/hashcash): a line starting with a multi-byte
        // character within the length of a header name used to panic.
        assert_eq!(stamps_in_text("xampEEEEҸ3:EEEa"), vec!["xampEEEEҸ3:EEEa"]);
        assert_eq!(stamps_in_text("ҸҸҸҸҸҸ"), vec!["ҸҸҸҸҸҸ"]);
    }

    #[test]
    fn mint_then_check() {
        let now = parse_date("261121120000").unwrap();
        let req = MintRequest {
            bits: 10,
            resource: "mcp-tool:search".into(),
            ext: "".into(),
            date: now,
            date_width: DateWidth::Day,
            rand: rand_field([7; 12]),
        };
        let plan = req.plan().unwrap();
        assert!(plan.job().nonce_in_last_block());
        assert_eq!(plan.stamp(0).len() % 64, 55);
        let i = reference::search(plan.job(), plan.job().range()).unwrap();
        let stamp = Stamp::parse(&plan.stamp(i)).unwrap();
        let mut policy = CheckPolicy::new(now);
        policy.resource = Some("MCP-TOOL:search".into());
        policy.required_bits = Some(10);
        let ok = check(&stamp, &policy).unwrap();
        assert!(ok.zero_bits >= 10);
        policy.case_sensitive = true;
        assert!(matches!(
            check(&stamp, &policy),
            Err(Rejection::WrongResource { .. })
        ));
        policy.case_sensitive = false;
        policy.required_bits = Some(11);
        assert!(matches!(
            check(&stamp, &policy),
            Err(Rejection::TooFewBitsClaimed { .. })
        ));
        policy.required_bits = None;
        policy.now = now + 31 * 86400;
        assert!(matches!(
            check(&stamp, &policy),
            Err(Rejection::Expired { .. })
        ));
        policy.validity = None;
        assert!(check(&stamp, &policy).is_ok());
        policy.now = now - 3 * 86400;
        assert!(matches!(
            check(&stamp, &policy),
            Err(Rejection::FutureDate { .. })
        ));
    }

    #[test]
    fn mint_rejects_bad_fields() {
        let base = MintRequest {
            bits: 8,
            resource: "foo".into(),
            ext: "".into(),
            date: 0,
            date_width: DateWidth::Day,
            rand: "abc".into(),
        };
        let with = |f: &dyn Fn(&mut MintRequest)| {
            let mut r = base.clone();
            f(&mut r);
            r.plan()
        };
        assert!(with(&|_| {}).is_ok());
        assert!(with(&|r| r.resource = "".into()).is_err());
        assert!(with(&|r| r.resource = "a b".into()).is_err());
        assert!(with(&|r| r.resource = "é".into()).is_err());
        assert!(with(&|r| r.ext = "a:b".into()).is_err());
        assert!(with(&|r| r.bits = 161).is_err());
        assert!(with(&|r| r.resource = "r".repeat(1100)).is_err());
    }
}
