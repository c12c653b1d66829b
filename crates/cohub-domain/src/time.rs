//! Durations in words, for messages and summaries.

/// Describes a number of seconds in plain words, e.g. "3 days", "2 hours", "45 seconds".
#[allow(clippy::manual_is_multiple_of)] // `is_multiple_of` is newer than the workspace MSRV (1.85)
pub fn describe_seconds(seconds: u64) -> String {
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if seconds == 0 {
        "no minimum".to_string()
    } else if seconds % 86_400 == 0 {
        plural(seconds / 86_400, "day")
    } else if seconds % 3_600 == 0 {
        plural(seconds / 3_600, "hour")
    } else if seconds % 60 == 0 {
        plural(seconds / 60, "minute")
    } else {
        plural(seconds, "second")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn describes() {
        assert_eq!(super::describe_seconds(86_400 * 3), "3 days");
        assert_eq!(super::describe_seconds(3600), "1 hour");
        assert_eq!(super::describe_seconds(61), "61 seconds");
    }
}
