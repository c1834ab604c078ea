//! The server's life as the long-lived parts of it see it: connections and
//! WebSocket sessions hold a [`Watch`] while they run; the server moves the
//! phase from serving to draining (stop taking requests, finish the ones in
//! flight) to stopped (drop whatever still runs), and waits until every
//! watch is gone.
//!
//! An application mounted in another server (a `tower::Service` inside
//! axum) is never drained: its sessions end on their own.

use tokio::sync::watch;

/// Where the server is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Taking requests.
    Serving,
    /// A shutdown began: finish what is in flight, take nothing new.
    Draining,
    /// The grace period is over: drop what still runs.
    Stopped,
}

/// The phase, announced to every watcher.
pub(crate) struct Lifecycle {
    phase: watch::Sender<Phase>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            phase: watch::Sender::new(Phase::Serving),
        }
    }
}

impl Lifecycle {
    /// A watch held by one connection or session while it runs.
    pub fn watch(&self) -> Watch {
        Watch(self.phase.subscribe())
    }

    /// Moves to `phase` (never back).
    pub fn enter(&self, phase: Phase) {
        self.phase.send_if_modified(|current| {
            let later = phase > *current;
            if later {
                *current = phase;
            }
            later
        });
    }

    /// Completes once no watch is held any more.
    pub async fn all_done(&self) {
        self.phase.closed().await
    }
}

/// One watcher's view of the phase; dropping it (and its clones) tells the
/// server that this connection or session is over.
#[derive(Clone)]
pub(crate) struct Watch(watch::Receiver<Phase>);

impl Watch {
    /// Completes once the phase is `phase` or later (never, if the server
    /// is gone without announcing it). WebSocket sessions wait on it.
    #[cfg_attr(not(feature = "ws"), allow(dead_code))]
    pub async fn reached(&mut self, phase: Phase) {
        if self.0.wait_for(|current| *current >= phase).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn phases_move_forward_and_watches_are_counted() {
        let lifecycle = Lifecycle::default();
        let mut watch = lifecycle.watch();
        lifecycle.enter(Phase::Draining);
        lifecycle.enter(Phase::Serving);
        tokio::time::timeout(
            std::time::Duration::from_secs(1),
            watch.reached(Phase::Draining),
        )
        .await
        .expect("draining is announced");
        let stopped = tokio::time::timeout(
            std::time::Duration::from_millis(20),
            watch.reached(Phase::Stopped),
        );
        assert!(stopped.await.is_err(), "not stopped yet");
        let done = tokio::spawn(async move {
            lifecycle.all_done().await;
        });
        tokio::task::yield_now().await;
        assert!(!done.is_finished());
        drop(watch);
        tokio::time::timeout(std::time::Duration::from_secs(1), done)
            .await
            .expect("all done once the last watch is dropped")
            .unwrap();
    }
}
