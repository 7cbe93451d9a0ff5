//! `lunette test [--dir SITE] [FILTER]`: the site's app tests in headless tabs
//! (`lunette-headless`). Exit status 0 when all pass, 1 when one fails, 2 when the site or
//! its tests cannot be read.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::TestArgs;
use crate::site_dir;

pub fn run(args: &TestArgs) -> ExitCode {
    let site = match site_dir::read_site(&args.dir) {
        Ok(read) => read.site,
        Err(error) => return fail(&error.to_string()),
    };
    let files = match lunette_headless::runner::read_tests(&args.dir) {
        Ok(files) => files,
        Err(message) => return fail(&message),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let summary = lunette_headless::runner::run(&site, &files, args.filter.as_deref(), &mut out);
    let _ = out.flush();
    match summary {
        Ok(summary) if summary.failed == 0 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(error) => fail(&format!("writing the results: {error}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("lunette test: {message}");
    ExitCode::from(2)
}
