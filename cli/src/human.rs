//! Human-readable numbers for command-line output.

/// `1234567.0` -> `1.23 M` (SI prefix, two decimals, trailing space before the unit).
pub fn si(v: f64) -> String {
    let (d, u) = if v >= 1e12 {
        (1e12, "T")
    } else if v >= 1e9 {
        (1e9, "G")
    } else if v >= 1e6 {
        (1e6, "M")
    } else if v >= 1e3 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    format!("{:.2} {u}", v / d)
}

/// Human duration for estimates: `850 ms`, `3.2 s`, `4.1 min`, `2.0 h`, `3.5 days`.
pub fn human_secs(s: f64) -> String {
    if !s.is_finite() {
        "forever".into()
    } else if s < 0.9995e-6 {
        format!("{:.0} ns", s * 1e9)
    } else if s < 0.9995e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 0.00995 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 0.9995 {
        format!("{:.0} ms", s * 1e3)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s < 3.2e7 * 2.0 {
        format!("{:.1} days", s / 86400.0)
    } else {
        format!("{:.1} years", s / 3.156e7)
    }
}
