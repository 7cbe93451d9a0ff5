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

/// A job that does little: done in place, never suspended.
pub(crate) enum Plain {
    Connected(ConnId),
    Touched,
}

/// A job that runs Lua or may take long (a close that forgets thousands of variables), as the
/// body of a step; or the job that does neither.
pub(crate) fn body(job: Job, config: &Rc<Config>, now: Instant) -> Result<StepBody, Plain> {
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
        // No cycle runs (§6.2): what the tab owned is only its own.
        Job::Closed(conn) => Box::new(move |session: &mut Session| {
            session.close(conn);
            session.last_activity = now;
            false
        }),
        Job::Connected(conn) => return Err(Plain::Connected(conn)),
        Job::Touched => return Err(Plain::Touched),
    };
    Ok(body)
}

/// Runs on the session; returns whether its connections are owed a flush.
pub(crate) type StepBody = Box<dyn FnOnce(&mut Session) -> bool>;

/// What each waiting job is charged besides the text of its frames: a peer that sends many
/// tiny frames, or reconnects over and over, fills the queue too.
const JOB_CHARGE: usize = 64;

/// A session whose step is suspended.
pub(crate) struct Running {
    pub(crate) step: Suspended<Finished>,
    /// Stops the step at once if the core is dropped before it ends.
    pub(crate) stopper: Stopper,
    /// Where the session was filed when its step began, to be undone if the step is lost.
    pub(crate) filed: Filed,
    /// What arrived for the session meanwhile, in order.
    pub(crate) waiting: Waiting,
}

/// The jobs waiting behind a suspended step, and what they are charged against
/// [`Config::max_waiting_bytes`].
#[derive(Default)]
pub(crate) struct Waiting {
    jobs: VecDeque<Job>,
    bytes: usize,
    /// A page load waits already: another adds nothing.
    touched: bool,
}

/// A job the queue had no room for.
pub(crate) struct Full;

impl Waiting {
    /// Queues `job` unless it would take the queue past `limit`. What must not be lost (a
    /// connection's end, a hot reload) is always queued; a page load already waiting is
    /// enough for another.
    pub(crate) fn push(&mut self, job: Job, limit: usize) -> Result<(), Full> {
        let cost = match &job {
            Job::Frames { texts, .. } => texts.iter().map(|t| t.len() + JOB_CHARGE).sum(),
            Job::Connected(_) => JOB_CHARGE,
            Job::Touched if self.touched => return Ok(()),
            Job::Touched | Job::Closed(_) | Job::Timers | Job::Reload { .. } => 0,
        };
        if cost > 0 && self.bytes + cost > limit {
            return Err(Full);
        }
        self.bytes += cost;
        self.touched |= matches!(job, Job::Touched);
        self.jobs.push_back(job);
        Ok(())
    }

    /// Whether a new connection would still fit.
    pub(crate) fn has_room(&self, limit: usize) -> bool {
        self.bytes + JOB_CHARGE <= limit
    }

    pub(crate) fn into_jobs(self) -> VecDeque<Job> {
        self.jobs
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Job {
        Job::Frames {
            conn: ConnId(1),
            texts: vec![text.to_owned()],
        }
    }

    #[test]
    fn frames_fit_up_to_the_limit_and_not_a_byte_more() {
        let mut waiting = Waiting::default();
        let limit = 2 * (10 + JOB_CHARGE);
        assert!(waiting.push(frame("0123456789"), limit).is_ok());
        assert!(waiting.push(frame("0123456789"), limit).is_ok());
        assert!(waiting.push(frame(""), limit).is_err());
        assert!(!waiting.has_room(limit), "nor a connection");
        assert_eq!(waiting.into_jobs().len(), 2);
    }

    #[test]
    fn page_loads_coalesce_and_closes_are_never_refused() {
        let mut waiting = Waiting::default();
        let limit = JOB_CHARGE;
        assert!(waiting.push(Job::Connected(ConnId(1)), limit).is_ok());
        for _ in 0..1_000 {
            assert!(waiting.push(Job::Touched, limit).is_ok());
        }
        assert!(waiting.push(Job::Closed(ConnId(1)), limit).is_ok());
        let jobs = waiting.into_jobs();
        assert_eq!(jobs.len(), 3, "one page load stands for all");
        assert!(matches!(jobs.back(), Some(Job::Closed(_))));
    }
}
