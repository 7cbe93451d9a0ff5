//! core stays sans-IO: no crate that does networking, file watching, async I/O or OS
//! randomness may become one of its dependencies (clippy.toml forbids the std calls).
//! Dev-dependencies may: the std-loop example is a transport in miniature.

const FORBIDDEN: [&str; 10] = [
    "tokio",
    "hyper",
    "hyper-util",
    "mio",
    "socket2",
    "notify",
    "getrandom",
    "tungstenite",
    "tokio-tungstenite",
    "tracing-subscriber",
];

#[test]
fn core_depends_on_no_io_crate() {
    let manifest = include_str!("../Cargo.toml");
    let mut section = "";
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if section != "[dependencies]" {
            continue;
        }
        let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
        assert!(
            !FORBIDDEN.contains(&name),
            "core/Cargo.toml {section} lists `{name}`: I/O belongs in a transport"
        );
    }
}
