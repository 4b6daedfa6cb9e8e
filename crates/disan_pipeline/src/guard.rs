//! Panics inside third-party parsers become one file's failure, and the terminal never shows panic text.

thread_local! {
    /// Set while [`guard`] runs on this thread: a panic here becomes the file's failure.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Where the last guarded panic on this thread happened (`file:line`).
    static CAUGHT_AT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Installs the process's panic hook (once; later calls do nothing). A panic inside [`guard`] prints
/// nothing: it becomes that file's failure, with one readable line in the report. Any other panic prints
/// one line, `internal error: … (at file:line); please report it`, instead of Rust's message and
/// backtrace hint. Every binary that ingests calls it first; tests may too.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            if GUARDED.with(std::cell::Cell::get) {
                CAUGHT_AT.with(|c| *c.borrow_mut() = Some(at));
                return;
            }
            let what = panic_text(info.payload());
            eprintln!("internal error: {what} (at {at}); please report it");
        }));
    });
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Runs `f`, turning a panic inside a third-party parser into an error for that file: a batch never
/// dies of one file, and (with [`install_panic_hook`]) the terminal shows no panic text.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let outer = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(outer));
    result.unwrap_or_else(|panic| {
        let what = panic_text(panic.as_ref()).replace('\n', " ");
        let at = CAUGHT_AT.with(|c| c.borrow_mut().take());
        let at = at.map(|a| format!(" at {a}")).unwrap_or_default();
        Err(format!(
            "internal error while reading this file ({what}{at}); please report it with the file"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run as a child process by `a_guarded_panic_prints_nothing` (it does nothing on its own).
    #[test]
    fn child_panics_inside_guard() {
        if std::env::var_os("DISAN_GUARD_CHILD").is_none() {
            return;
        }
        install_panic_hook();
        let result: Result<(), String> = guard(|| panic!("boom in a parser"));
        println!("RESULT {}", result.unwrap_err());
    }

    #[test]
    fn a_guarded_panic_is_the_files_failure_and_prints_nothing() {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "guard::tests::child_panics_inside_guard",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("DISAN_GUARD_CHILD", "1")
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        let line = stdout
            .lines()
            .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
            .expect("the child reports");
        assert!(line.contains("boom in a parser"), "{line}");
        assert!(line.contains("guard.rs:"), "the location is kept: {line}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "stderr: {stderr}"
        );
        assert!(!stdout.contains("panicked"), "stdout: {stdout}");
    }

    #[test]
    fn guards_nest_and_results_pass_through() {
        assert_eq!(guard(|| Ok::<_, String>(7)), Ok(7));
        assert_eq!(guard(|| Err::<(), _>("plain".to_string())), Err("plain".to_string()));
    }
}
