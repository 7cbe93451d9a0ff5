//! CPU time of this process, to show whether the client itself was the bottleneck.

use std::time::Duration;

/// Clock ticks per second of `/proc/<pid>/stat`. USER_HZ is 100 on every mainstream Linux
/// build; asking `sysconf` would need `libc` and `unsafe` for a figure that is only advisory.
const TICKS_PER_SECOND: u64 = 100;

/// User plus system time this process has used, or `None` off Linux.
pub fn used() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after its `)` are plain.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11); // field 14, utime
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis(
        (user + system) * 1000 / TICKS_PER_SECOND,
    ))
}

/// "client CPU 37% of one core" over `wall`, given `used()` at its start.
pub fn report(start: Option<Duration>, wall: Duration) -> String {
    match (start, used()) {
        (Some(start), Some(end)) if !wall.is_zero() => format!(
            "client CPU {:.0}% of one core",
            (end - start).as_secs_f64() / wall.as_secs_f64() * 100.0
        ),
        _ => "client CPU unknown".to_owned(),
    }
}
