//! Challenge formats ("schemes"): each parses its challenge, plans a [`Job`](crate::Job),
//! turns a hit into the scheme's own solution and verifies solutions.

pub mod altcha;
pub mod altcha_v2;
pub mod anubis;
pub mod cap;
pub mod captcha_mcp;
pub mod decimal;
pub mod gate;
pub mod hashcash;
pub mod mcaptcha;
pub mod sha256_bits;

/// Characters allowed in text fields that are hashed as ASCII: printable ASCII,
/// space included.
pub(crate) fn check_printable(
    field: &'static str,
    s: &str,
    max: usize,
    allow_empty: bool,
) -> Result<(), crate::Error> {
    if s.is_empty() && !allow_empty {
        return Err(crate::Error::Empty(field));
    }
    if s.len() > max {
        return Err(crate::Error::TooLong {
            field,
            len: s.len(),
            max,
        });
    }
    if let Some((at, found)) = s.char_indices().find(|&(_, c)| !(' '..='~').contains(&c)) {
        return Err(crate::Error::BadChar {
            field,
            found,
            at,
            allowed: "printable ASCII (0x20-0x7e)",
        });
    }
    Ok(())
}

/// Length of the nonce (or counter) text that makes `prefix_len + nonce_len` end at byte
/// 55 of a block, the last byte before SHA padding can no longer share the block: then the
/// varying characters fill the last message words of the final block, and every round
/// before them can be computed once per batch. At least `min` long.
pub(crate) fn aligned_nonce_len(prefix_len: usize, min: usize) -> usize {
    const END: usize = crate::job::BLOCK_LEN - 9;
    let mut n =
        (END + crate::job::BLOCK_LEN - prefix_len % crate::job::BLOCK_LEN) % crate::job::BLOCK_LEN;
    while n < min {
        n += crate::job::BLOCK_LEN;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_lengths_end_at_byte_55() {
        for p in 0..300 {
            for min in [1, 10, 20] {
                let n = aligned_nonce_len(p, min);
                assert!(n >= min && n < min + 64);
                assert_eq!((p + n) % 64, 55, "p={p} min={min}");
            }
        }
    }
}
