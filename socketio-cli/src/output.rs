//! Standard output, one line at a time, flushed: a closed pipe (`sio listen | head -1`) ends
//! the program quietly instead of panicking as `println!` would.

use std::io::Write;

/// Writes `line` and a newline to standard output and flushes; `false` when standard output
/// is closed.
pub fn line(line: &str) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}
