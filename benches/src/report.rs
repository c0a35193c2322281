//! What the decode report binaries (`codec_report`, `iec_report`) share besides the counting
//! allocator: the ITERATIONS argument and the formatting of the figures.

/// Rounds of each decoder; the median is reported.
pub const ROUNDS: usize = 5;
/// Frames per round when no ITERATIONS is given.
pub const DEFAULT_ITERATIONS: u64 = 1_000_000;

/// The ITERATIONS argument (`_` allowed between digits), else [`DEFAULT_ITERATIONS`]; a usage
/// message naming `program` and exit code 2 when it is not a positive integer.
pub fn iterations_arg(arg: Option<&String>, program: &str) -> u64 {
    match arg {
        None => DEFAULT_ITERATIONS,
        Some(arg) => match arg.replace('_', "").parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: {program} [ITERATIONS]  (a positive integer)");
                std::process::exit(2);
            }
        },
    }
}

/// `1234567.8` as `1,234,568`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{value:.0}");
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated_by_commas() {
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
    }
}
