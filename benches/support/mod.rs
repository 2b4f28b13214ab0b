//! Small helpers the load benchmarks share (`mod support;` in each): knobs from the environment and
//! medians. Not a benchmark itself (Cargo only discovers `benches/*.rs` and `benches/*/main.rs`).

/// The value of the environment variable `name` as a number, or `default`.
pub fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The median of `values` (the mean of the middle two for an even count); 0 when there are none.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}
