//! Durations (`500ms`, `1s`, `15m`) and sizes (`512MiB`) as written in the configuration.

use std::time::Duration;

/// Parses `250ms`, `1s`, `1.5s`, `15m`, `2h`, `1d`. A bare number is refused: the unit must be said.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number.parse().map_err(|_| {
        format!(
            "\"{text}\" is not a duration (expected a number and a unit: 500ms, 1s, 15m, 2h, 1d)"
        )
    })?;
    let seconds = match unit.trim() {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        "" => {
            return Err(format!(
                "\"{text}\" has no unit (expected ms, s, m, h or d)"
            ))
        }
        other => {
            return Err(format!(
                "unknown duration unit \"{other}\" in \"{text}\" (expected ms, s, m, h or d)"
            ))
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("\"{text}\" is out of range"))
}

/// Parses `512MiB`, `2GiB`, `100MB`, `64KiB`, `1000` (bytes).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a size (expected e.g. 512MiB, 2GiB)"))?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "KB" | "kB" => 1000,
        "MB" => 1000 * 1000,
        "GB" => 1000 * 1000 * 1000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        other => {
            return Err(format!(
            "unknown size unit \"{other}\" in \"{text}\" (expected B, KiB, MiB, GiB, KB, MB, GB)"
        ))
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("\"{text}\" is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit_and_accept_fractions() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn sizes_know_binary_and_decimal_units() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12 furlongs").is_err());
        assert!(parse_size("99999999999TiB").is_err());
    }
}
