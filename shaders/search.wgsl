// Grindstone nonce search (SHA-256 or SHA-1; the hash's round functions come from
// sha256.wgsl or sha1.wgsl, inserted at `//@HASH`).
//
// One invocation evaluates RADIX candidates: the invocation index picks the nonce
// characters before the last one (digits of `q`), the loop picks the last character.
// Everything that does not depend on the nonce was computed on the host once per
// dispatch (solver-gpu/src/kernel.rs): the hash state after the rounds that precede the
// first varying message word, the schedule words that never vary (`w`, and `kw` = K + W
// for them) and the constant parts of those that do (also in `w`).
//
// The host generates the lines marked `//@...` for one hash and nonce layout: fully
// unrolled rounds (a loop over a constant round-constant array is ~50x slower on
// lavapipe) and exactly the schedule words that vary, per invocation or per candidate.
//
// The lowest candidate offset of the dispatch whose first digest word passes the fast
// filter `((h0 ^ fxor) & fmask) <= fmax` is left in `hit` with atomicMin; the host
// cleared it to 0xffffffff ("no hit") and confirms every hit exactly on the CPU.

struct Params {
    // a..h after the rounds before the first varying word.
    state: array<u32, 8>,
    // Message words 0..15 with the varying characters zeroed; schedule words 16..:
    // the full word where it never varies, its constant part where it does.
    w: array<u32, 80>,
    // K[t] + W[t] for the words that never vary.
    kw: array<u32, 80>,
    // The alphabet's characters by digit value.
    sym: array<u32, 64>,
    // First word of the midstate (the digest's first word is h0 + a after the last
    // round).
    h0: u32,
    // Invocation-digit value of global invocation 0.
    q0: u32,
    // Candidate offsets [lo, hi) of this dispatch that are inside the searched range.
    lo: u32,
    hi: u32,
    // Invocations per row of the dispatch grid (x workgroups * 64).
    stride: u32,
    fxor: u32,
    fmask: u32,
    fmax: u32,
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read_write> hit: atomic<u32>;

const RADIX: u32 = 64u; //@RADIX

fn rotr(x: u32, n: u32) -> u32 {
    return (x >> n) | (x << (32u - n));
}

//@HASH

// The alphabet's character of digit value v (generated per alphabet).
fn sym(v: u32) -> u32 {
    return 48u + v; //@SYM
}

@compute @workgroup_size(64)
fn search(@builtin(global_invocation_id) gid: vec3<u32>) {
    let inv = gid.x + gid.y * p.stride;
    let first = inv * RADIX;
    if (first >= p.hi) {
        return;
    }
    var q = p.q0 + inv;
    // Everything the loop reads is loaded once per invocation: loads inside the loop
    // would be redone per candidate (the atomic below may alias them, as far as the
    // driver's compiler knows), and on lavapipe as per-lane gathers.
    let mid0 = p.h0;
    let fxor = p.fxor;
    let fmask = p.fmask;
    let fmax = p.fmax;
    let lo = p.lo;
    let hi = p.hi;
    q = q; //@INVOCATION
    for (var j = 0u; j < RADIX; j++) {
        let local = first + j;
        let digest0 = local; //@CANDIDATE
        let h0 = mid0 + digest0;
        if (((h0 ^ fxor) & fmask) <= fmax && local >= lo && local < hi) {
            atomicMin(&hit, local);
        }
    }
}
