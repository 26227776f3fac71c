//! How a stage tells whoever runs it how far it is, without knowing who
//! listens: the pure stages are lent a [`Watch`] as a value, and the
//! command line's progress line, timings and memory guard are one
//! implementation of it, at the top. Every method has a silent default, so
//! [`Quiet`] (tests, programs embedding fleetc) is the empty impl.

use std::fmt;
use std::path::Path;

use crate::base::limits::Limits;

/// What a running compile, write or commit says of itself. Called from
/// any thread; each call must be cheap (`tick` runs once per Application).
pub(crate) trait Watch: Sync {
    /// A stage of `total` items begins (0: a count not known).
    fn stage(&self, _what: &'static str, _total: usize) {}
    /// One item of the stage is done.
    fn tick(&self) {}
    /// The stage is over.
    fn end(&self) {}
    /// A step of the command is done (`read`, `parse`, `check`, ...).
    fn lap(&self, _step: &str) {}
    /// What a step did beside its time (how much a compile reused).
    fn fact(&self, _text: &str) {}
    /// The limits the work now runs under: the defaults, then the
    /// inventory's own once its settings are checked.
    fn limits(&self, _limits: &Limits) {}
    /// This thread works on `what`, from the inventory file `file`, until
    /// [`Watch::task_done`]: said in the message if fleetc must stop.
    fn task(&self, _file: &Path, _what: fmt::Arguments<'_>) {}
    /// This thread's task is done.
    fn task_done(&self) {}
}

/// A watch that hears nothing.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Quiet;

impl Watch for Quiet {}

/// Tells `watch` this thread works on `what` until the value is dropped.
pub(crate) fn task<'a>(watch: &'a dyn Watch, file: &Path, what: fmt::Arguments<'_>) -> Task<'a> {
    watch.task(file, what);
    Task(watch)
}

/// Ends the task it was made for when dropped.
pub(crate) struct Task<'a>(&'a dyn Watch);

impl Drop for Task<'_> {
    fn drop(&mut self) {
        self.0.task_done();
    }
}
