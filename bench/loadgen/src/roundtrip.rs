//! `loadgen roundtrip`: user-event round trips through the Adder app (docs/protocol.md §12).

use tokio::time::Instant;

use crate::cli::RoundtripArgs;
use crate::http1::HttpConn;
use crate::stats::{Latencies, us};
use crate::target::Target;
use crate::{Error, cpu, session, ws};

/// Step 6 of §12: the bindings of `Adder.DEFAULT`, variables 2, 3 and 4.
const CREATE_BINDINGS: &str = r#"{"userEvent":false,"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"value1","access":"rw","elementId":"ui-1"}}},{"type":"create","data":{"id":3,"parentId":1,"properties":{"path":"value2","access":"rw","elementId":"ui-2"}}},{"type":"create","data":{"id":4,"parentId":1,"properties":{"path":"compute()","access":"r","elementId":"ui-3"}}}]}"#;

fn user_update(var_id: u32, value: u64) -> String {
    format!(
        r#"{{"userEvent":true,"messages":[{{"type":"update","data":{{"varId":{var_id},"value":"{value}"}}}}]}}"#
    )
}

pub async fn run(args: RoundtripArgs) -> Result<(), Error> {
    let target = Target::parse(&args.url)?;
    let mut http = HttpConn::new(&target);
    let mut socket = session::open(&mut http, &target, &ws::watch_of_1(false)).await?;
    ws::send(&mut socket, CREATE_BINDINGS).await?;
    ws::wait_for(&mut socket, r#""varId":4,"value":"""#)
        .await
        .map_err(|e| format!("{e} (is the server running --dir demo/adder?)"))?;
    // value2 = "1" while value1 is still "": compute() stays "", so no frame comes back.
    ws::send(&mut socket, &user_update(3, 1)).await?;

    let mut samples = Vec::with_capacity(usize::try_from(args.count).unwrap_or(0));
    let cpu_start = cpu::used();
    let start = Instant::now();
    for n in 1..=args.warmup + args.count {
        let sent = Instant::now();
        ws::send(&mut socket, &user_update(2, n)).await?;
        ws::wait_for(&mut socket, &format!(r#""varId":4,"value":"{}""#, n + 1)).await?;
        if n > args.warmup {
            samples.push(sent.elapsed());
        }
    }
    let wall = start.elapsed();
    ws::close(socket).await?;
    let latencies = Latencies::new(samples);
    println!(
        "{} round trips (after {} warm-up): p50 {}, p90 {}, p99 {}, max {}; {}",
        latencies.len(),
        args.warmup,
        us(latencies.percentile(50.0)),
        us(latencies.percentile(90.0)),
        us(latencies.percentile(99.0)),
        us(latencies.max()),
        cpu::report(cpu_start, wall),
    );
    Ok(())
}
