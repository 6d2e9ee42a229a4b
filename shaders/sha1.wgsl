// SHA-1 round functions (FIPS 180-4 4.1.1), for search.wgsl.

fn rotl(x: u32, n: u32) -> u32 {
    return (x << n) | (x >> (32u - n));
}

fn ch(b: u32, c: u32, d: u32) -> u32 {
    return d ^ (b & (c ^ d));
}

fn parity(b: u32, c: u32, d: u32) -> u32 {
    return b ^ c ^ d;
}

fn maj(b: u32, c: u32, d: u32) -> u32 {
    return (b & c) | (d & (b | c));
}
