//! What a session is asked to do, and the steps that may be suspended between slices
//! (docs/protocol.md §4.6, `slices.rs`).
//!
//! Work that runs Lua (frames, timers, a hot reload) runs as a step: the session moves into it
//! and comes back when it ends. While a step is suspended, whatever else arrives for its
//! session waits in order behind it, and its connections get nothing: the flush comes at the
//! end of the step, as always. Other sessions never see a half-finished step, since they
//! share nothing with it.

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;

use crate::config::Config;
use crate::ids::ConnId;
use crate::lua::Stopper;
use crate::session::Session;
use crate::slices::Suspended;

/// One thing a session is asked to do, in the order it arrived.
pub(crate) enum Job {
    /// Inbound text frames of one connection.
    Frames { conn: ConnId, texts: Vec<String> },
    /// Its Lua timers that are due.
    Timers,
    /// Site files changed (`--hotload`): modules to re-run, and whether viewdefs changed.
    Reload {
        modules: Rc<[(String, Bytes)]>,
        viewdefs_changed: bool,
    },
    /// A WebSocket connection joined.
    Connected(ConnId),
    /// A connection ended.
    Closed(ConnId),
    /// Its page was loaded.
    Touched,
}

/// What a step hands back: the session, and the frames of its flush, in order.
pub(crate) type Finished = (Box<Session>, Vec<(ConnId, String)>);

/// A job that runs no Lua: done in place, never suspended.
pub(crate) enum Plain {
    Connected(ConnId),
    Closed(ConnId),
    Touched,
}

/// A job that runs Lua, as the body of a step; or the job that runs none.
pub(crate) fn body(job: Job, config: &Rc<Config>) -> Result<StepBody, Plain> {
    let body: StepBody = match job {
        Job::Frames { conn, texts } => {
            let config = Rc::clone(config);
            Box::new(move |session: &mut Session| {
                for text in &texts {
                    session.run_frame(conn, text, &config);
                }
                session.cycle();
                true
            })
        }
        Job::Timers => Box::new(|session: &mut Session| {
            let now = session.backend.clock_now();
            session.backend.run_due_timers(now);
            session.cycle();
            true
        }),
        Job::Reload {
            modules,
            viewdefs_changed,
        } => Box::new(move |session: &mut Session| {
            let ran = session.reload_modules(&modules);
            if ran || viewdefs_changed {
                session.cycle();
            }
            ran || viewdefs_changed
        }),
        Job::Connected(conn) => return Err(Plain::Connected(conn)),
        Job::Closed(conn) => return Err(Plain::Closed(conn)),
        Job::Touched => return Err(Plain::Touched),
    };
    Ok(body)
}

/// Runs on the session; returns whether its connections are owed a flush.
pub(crate) type StepBody = Box<dyn FnOnce(&mut Session) -> bool>;

/// A session whose step is suspended.
pub(crate) struct Running {
    pub(crate) step: Suspended<Finished>,
    /// Stops the step at once if the core is dropped before it ends.
    pub(crate) stopper: Stopper,
    /// Where the session was filed when its step began, to be undone if the step is lost.
    pub(crate) filed: Filed,
    /// What arrived for the session meanwhile, in order.
    pub(crate) waiting: VecDeque<Job>,
}

/// A session's entries in the manager's tables, as they were when its step began.
#[derive(Clone, Copy)]
pub(crate) struct Filed {
    pub(crate) idle: (bool, Instant),
    pub(crate) wake: Option<Instant>,
    pub(crate) measured: usize,
}

impl Filed {
    pub(crate) fn of(session: &Session) -> Self {
        Self {
            idle: (session.ever_connected, session.last_activity),
            wake: session.wake,
            measured: session.measured,
        }
    }
}
