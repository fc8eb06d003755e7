//! Durations as written on the command line: `500ms`, `10s`, `2m` (also `1h`).

use std::time::Duration;

/// Parses `<number><unit>` with the unit `ms`, `s`, `m` or `h`; the number may have a fraction.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("'{text}' has no unit: write 500ms, 10s or 2m"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration: write 500ms, 10s or 2m"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "unknown unit '{unit}' in '{text}': use ms, s, m or h"
            ))
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("'{text}' is out of range"))
}

/// A duration the way it is written on the command line (`1.5s`, `250ms`).
pub fn show(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{}s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("10x")
            .unwrap_err()
            .contains("unknown unit 'x'"));
        assert!(parse_duration("s").unwrap_err().contains("not a duration"));
        assert!(parse_duration("1..2s")
            .unwrap_err()
            .contains("not a duration"));
    }

    #[test]
    fn shown_back() {
        assert_eq!(show(Duration::from_millis(500)), "500ms");
        assert_eq!(show(Duration::from_secs(10)), "10s");
        assert_eq!(show(Duration::from_millis(1500)), "1.5s");
    }
}
