//! Progress bars for long runs (export, import, migrate, verify): drawn on stderr only when
//! stderr is a terminal, so pipes, CI logs and tests see no bar output at all.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar counting `what` up to `len` (a spinner with a count when `len` is unknown).
/// Hidden (every call a no-op) unless stderr is a terminal.
pub fn bar(len: Option<u64>, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = match len {
        Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
                .expect("valid template")
                .progress_chars("=> "),
        ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{msg:>10} {spinner} {pos}").expect("valid template"),
        ),
    };
    pb.set_message(what.to_string());
    pb
}
