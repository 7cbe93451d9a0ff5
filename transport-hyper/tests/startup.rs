//! How the binary starts, or refuses to: flags, site directories, busy ports.

mod common;

use std::net::TcpListener;

use common::{TempSite, run_to_exit};

#[test]
fn help_lists_every_flag_with_its_default() {
    let (code, stdout, _) = run_to_exit(&["--help"]);
    assert_eq!(code, Some(0));
    for (flag, default) in [
        ("--dir", "the built-in default app"),
        ("--host", "127.0.0.1"),
        ("--port", "8080"),
        ("--max-sessions", "100000"),
        ("--session-timeout", "24h"),
        ("--unclaimed-timeout", "2m"),
        ("--lua-memory", "67108864"),
        ("--lua-budget", "100000000"),
        ("--lua-slice", "200000"),
        ("--shards", "the number of available CPUs"),
    ] {
        let line = stdout
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("{flag} ")))
            .unwrap_or_else(|| panic!("--help does not list {flag}:\n{stdout}"));
        assert!(
            line.contains(&format!("[default: {default}]")),
            "{flag} shows no default {default:?}: {line}"
        );
    }
}

#[test]
fn a_missing_site_directory_is_a_one_line_error_and_exit_2() {
    let missing = std::env::temp_dir().join("lunette-test-no-such-site-dir");
    let missing = missing.to_str().expect("UTF-8 temp path");
    let (code, stdout, stderr) = run_to_exit(&["--port", "0", "--dir", missing]);
    assert_eq!(code, Some(2));
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!("lunette: cannot read site directory {missing}: No such file or directory\n")
    );
}

#[test]
fn a_site_without_main_lua_is_a_one_line_error_and_exit_2() {
    let site = TempSite::new("nomain");
    site.write("lua/other.lua", "return 1");
    let (code, _, stderr) = run_to_exit(&["--port", "0", "--dir", site.arg()]);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.ends_with("has no lua/main.lua\n"), "{stderr}");
}

#[test]
fn a_busy_port_is_a_one_line_error_and_exit_1() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = taken.local_addr().expect("local addr").port().to_string();
    let (code, stdout, stderr) = run_to_exit(&["--host", "127.0.0.1", "--port", &port]);
    assert_eq!(code, Some(1));
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!("lunette: cannot listen on 127.0.0.1:{port}: Address already in use\n")
    );
}

#[test]
fn bad_flag_values_are_usage_errors() {
    for args in [
        &["--session-timeout", "5"][..],
        &["--unclaimed-timeout", "soon"],
        &["--shards", "0"],
        &["--port", "70000"],
    ] {
        let (code, stdout, stderr) = run_to_exit(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stdout, "");
    }
}
