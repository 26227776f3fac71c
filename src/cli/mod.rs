//! The top: the command line ([`args`]), one room per command
//! ([`commands`]), and what only a process may own: the progress line on
//! stderr ([`progress`]), the memory guard of the allocator ([`memory`]),
//! and the mapping of every failure to a message and an exit code.

pub(crate) mod args;
pub(crate) mod commands;
pub(crate) mod memory;
pub(crate) mod progress;

use crate::base::error::{sort_diagnostics, terminal_safe, Diagnostic, Error};

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: user error (bad inventory, refused by a guard, usage).
pub const EXIT_USER: i32 = 1;
/// Exit code: `diff` / `--check` found changes where asked to say so.
pub const EXIT_CHANGES: i32 = 2;

/// fleetc's `main`: parses the command line, runs the command, prints what
/// failed; returns the exit code.
pub fn main() -> i32 {
    match args::parse() {
        Ok(cli) => match commands::run(cli) {
            Ok(code) => code,
            Err(e) => {
                print(&e);
                exit_code(&e)
            }
        },
        Err(code) => code,
    }
}

/// The exit code of a failure: 1.
pub(crate) fn exit_code(e: &Error) -> i32 {
    match e {
        Error::Invalid(_)
        | Error::Io { .. }
        | Error::Usage(_)
        | Error::Exports(_)
        | Error::Git { .. }
        | Error::Refused(_) => EXIT_USER,
    }
}

/// Prints the failure to stderr as the user should read it: every
/// problem of an invalid inventory, sorted, then a count; otherwise one
/// line with its causes.
pub(crate) fn print(e: &Error) {
    use std::io::Write;
    let stderr = std::io::stderr();
    let mut w = stderr.lock();
    match e {
        Error::Invalid(diags) => {
            let mut diags: Vec<Diagnostic> = diags.clone();
            sort_diagnostics(&mut diags);
            for d in &diags {
                let _ = writeln!(w, "{d}");
            }
            let _ = writeln!(
                w,
                "{}",
                problems_found(diags.len(), "found; nothing was written")
            );
        }
        Error::Exports(problems) => {
            for p in problems {
                let _ = writeln!(w, "{p}");
            }
            let _ = writeln!(
                w,
                "{}",
                problems_found(
                    problems.len(),
                    "with the Argo CD exports; no status was given"
                )
            );
        }
        // A refusal says what holds it back, one line each: its lines are
        // kept, each made terminal-safe, and every line after the first is
        // indented under it. (Its text is fleetc's, naming things by
        // names the inventory's checks allow.)
        Error::Refused(why) => {
            let text = why.to_string();
            let mut lines = text.lines().map(terminal_safe);
            let _ = write!(w, "error: {}", lines.next().unwrap_or_default());
            for line in lines {
                let pad = if line.starts_with(' ') { "" } else { "  " };
                let _ = write!(w, "\n{pad}{line}");
            }
            let _ = writeln!(w);
        }
        // Every other message is one line, with every control character
        // escaped (a name or path from outside may hold a line break).
        // It says its cause already (an I/O error's Display ends with the
        // OS's words): printing the source chain as well said it twice.
        other => {
            let _ = writeln!(w, "error: {}", terminal_safe(&other.to_string()));
        }
    }
}

/// The last line after every problem listed: `error: 2 problems {tail}`.
fn problems_found(n: usize, tail: &str) -> String {
    format!("error: {n} problem{} {tail}", if n == 1 { "" } else { "s" })
}
