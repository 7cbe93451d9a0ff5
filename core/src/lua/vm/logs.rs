//! What a session's scripts log (`print`, `ui.log`, `diag`, failing timers), held until the
//! step ends. It lives outside the Lua heap, so it is bounded here: a loop printing a 60 MB
//! string would otherwise hold gigabytes until the step's output is drained.

use crate::output::LogLevel;

/// The longest line kept; the rest is cut, and the cut marked.
pub(crate) const MAX_LINE_BYTES: usize = 8 * 1024;
/// Lines kept per step; past it, one line says how many were dropped.
pub(crate) const MAX_LINES: usize = 1_000;

#[derive(Default)]
pub(crate) struct Logs {
    lines: Vec<(LogLevel, String)>,
    dropped: usize,
}

impl Logs {
    pub(crate) fn push(&mut self, level: LogLevel, mut line: String) {
        if self.lines.len() >= MAX_LINES {
            self.dropped += 1;
            return;
        }
        if line.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push_str(&format!("… (cut at {MAX_LINE_BYTES} bytes)"));
        }
        self.lines.push((level, line));
    }

    /// The lines since the last call, and a last one counting what was dropped.
    pub(crate) fn take(&mut self) -> Vec<(LogLevel, String)> {
        let mut lines = std::mem::take(&mut self.lines);
        if self.dropped > 0 {
            lines.push((
                LogLevel::Warn,
                format!(
                    "{} more log lines dropped (at most {MAX_LINES} per step)",
                    self.dropped
                ),
            ));
            self.dropped = 0;
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_and_extra_lines_counted() {
        let mut logs = Logs::default();
        logs.push(LogLevel::Info, "é".repeat(MAX_LINE_BYTES));
        for _ in 0..MAX_LINES + 5 {
            logs.push(LogLevel::Info, "x".into());
        }
        let lines = logs.take();
        assert_eq!(lines.len(), MAX_LINES + 1);
        assert!(
            lines[0].1.len() < MAX_LINE_BYTES + 40,
            "{}",
            lines[0].1.len()
        );
        assert!(lines[0].1.ends_with("… (cut at 8192 bytes)"));
        assert_eq!(
            lines[MAX_LINES].1,
            "6 more log lines dropped (at most 1000 per step)"
        );
        assert!(logs.take().is_empty());
    }
}
