// SHA-256 round functions (FIPS 180-4 4.1.2), for search.wgsl.

fn bsig0(x: u32) -> u32 {
    return rotr(x, 2u) ^ rotr(x, 13u) ^ rotr(x, 22u);
}

fn bsig1(x: u32) -> u32 {
    return rotr(x, 6u) ^ rotr(x, 11u) ^ rotr(x, 25u);
}

fn ssig0(x: u32) -> u32 {
    return rotr(x, 7u) ^ rotr(x, 18u) ^ (x >> 3u);
}

fn ssig1(x: u32) -> u32 {
    return rotr(x, 17u) ^ rotr(x, 19u) ^ (x >> 10u);
}

fn ch(e: u32, f: u32, g: u32) -> u32 {
    return g ^ (e & (f ^ g));
}

fn maj(a: u32, b: u32, c: u32) -> u32 {
    return (a & b) | (c & (a | b));
}
