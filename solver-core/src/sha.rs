//! Scalar SHA-256 and SHA-1 pieces (FIPS 180-4) shared by the search kernels' per-chunk
//! and per-dispatch precomputation: the rounds before the nonce's message words and the
//! constant schedule words. The kernels' hot loops use their own vector forms.

/// SHA-256 round constants.
pub const K256: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// The SHA-1 round constant of round `t` (0..80).
#[inline]
pub const fn k1(t: usize) -> u32 {
    match t / 20 {
        0 => 0x5A827999,
        1 => 0x6ED9EBA1,
        2 => 0x8F1BBCDC,
        _ => 0xCA62C1D6,
    }
}

/// SHA-256's schedule function σ0.
#[inline]
pub fn ssig0(x: u32) -> u32 {
    x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
}

/// SHA-256's schedule function σ1.
#[inline]
pub fn ssig1(x: u32) -> u32 {
    x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
}

/// One SHA-256 round on the state `a..h`, with `kw` = K[t] + W[t].
#[inline]
pub fn sha256_round(s: &mut [u32; 8], kw: u32) {
    let [a, b, c, d, e, f, g, h] = *s;
    let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
    let ch = g ^ (e & (f ^ g));
    let t1 = h.wrapping_add(s1).wrapping_add(ch).wrapping_add(kw);
    let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
    let maj = (a & b) | (c & (a | b));
    *s = [
        t1.wrapping_add(s0).wrapping_add(maj),
        a,
        b,
        c,
        d.wrapping_add(t1),
        e,
        f,
        g,
    ];
}

/// One SHA-1 round `t` on the state `a..e`, with `kw` = K(t) + W[t].
#[inline]
pub fn sha1_round(s: &mut [u32; 5], t: usize, kw: u32) {
    let [a, b, c, d, e] = *s;
    let f = match t / 20 {
        0 => d ^ (b & (c ^ d)),
        2 => (b & c) | (d & (b | c)),
        _ => b ^ c ^ d,
    };
    let tmp = a
        .rotate_left(5)
        .wrapping_add(f)
        .wrapping_add(e)
        .wrapping_add(kw);
    *s = [tmp, a, b.rotate_left(30), c, d];
}

/// The sixteen big-endian message words of a block.
#[inline]
pub fn block_words(block: &[u8; crate::job::BLOCK_LEN]) -> [u32; 16] {
    let mut w = [0u32; 16];
    for (i, c) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    }
    w
}

/// `K[t] + W[t]` for every round of a whole block: the round inputs of a constant block
/// (the kernels' second block when the padding spills past the nonce's block).
pub fn sha256_kw(block: &[u8; crate::job::BLOCK_LEN]) -> [u32; 64] {
    let m = block_words(block);
    let mut w = [0u32; 64];
    w[..16].copy_from_slice(&m);
    for t in 16..64 {
        w[t] = ssig1(w[t - 2])
            .wrapping_add(w[t - 7])
            .wrapping_add(ssig0(w[t - 15]))
            .wrapping_add(w[t - 16]);
    }
    std::array::from_fn(|t| K256[t].wrapping_add(w[t]))
}

/// The SHA-256 state after rounds `0..w.len()` from `mid`, with `w[t]` the message (or
/// schedule) word of round `t`: the kernels' "rounds before the first varying word".
pub fn sha256_prefix(mid: &[u32; 8], w: &[u32]) -> [u32; 8] {
    debug_assert!(w.len() <= 64);
    let mut s = *mid;
    for (&k, &wt) in K256.iter().zip(w) {
        sha256_round(&mut s, k.wrapping_add(wt));
    }
    s
}

/// The SHA-1 state `a..e` after rounds `0..w.len()` from the first five words of `mid`
/// (see [`sha256_prefix`]).
pub fn sha1_prefix(mid: &[u32; 8], w: &[u32]) -> [u32; 5] {
    debug_assert!(w.len() <= 80);
    let mut s = [mid[0], mid[1], mid[2], mid[3], mid[4]];
    for (t, &wt) in w.iter().enumerate() {
        sha1_round(&mut s, t, k1(t).wrapping_add(wt));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_compress_like_the_sha_crates() {
        // "abc", padded: one block. All 64 / 80 rounds plus the final addition must give
        // the standard digests' first words.
        let mut block = [0u8; 64];
        block[..3].copy_from_slice(b"abc");
        block[3] = 0x80;
        block[63] = 24;
        let mut w = [0u32; 80];
        w[..16].copy_from_slice(&block_words(&block));
        let mut w256 = w;
        for t in 16..64 {
            w256[t] = ssig1(w256[t - 2])
                .wrapping_add(w256[t - 7])
                .wrapping_add(ssig0(w256[t - 15]))
                .wrapping_add(w256[t - 16]);
        }
        let iv = crate::HashAlg::Sha256.initial_state();
        let s = sha256_prefix(&iv, &w256[..64]);
        assert_eq!(s[0].wrapping_add(iv[0]), 0xba7816bf);
        for t in 16..80 {
            w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
        }
        let iv1 = crate::HashAlg::Sha1.initial_state();
        let s = sha1_prefix(&iv1, &w);
        assert_eq!(s[0].wrapping_add(iv1[0]), 0xa9993e36);
    }
}
