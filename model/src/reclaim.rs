//! The reclamation rules of each strategy, as pure decisions: whether a reply reference is
//! counted, whether an IO thread may release a sent reference itself, whether main retires an
//! overwritten value, and whether an object is solely owned. The table of what each strategy
//! changes is in [`crate::strategy`]'s doc; the actions that need the server (`&mut Server`)
//! stay there. What happens when a count reaches 0 is decided in [`crate::object`] itself.
//!
//! Below the server's data: these functions read a [`Strategy`] or one object and change
//! nothing, so any layer from the objects up may ask them. Invariant served: [`sole_owner`] is
//! what Redis's `refcount == 1` tests mean (an in-place edit or a payload steal is safe only
//! then), so `COUNT_CONSERVATION` and `USE_AFTER_FREE` hold under every strategy.

use crate::config::Strategy;
use crate::env::Cx;
use crate::robj::RObj;

/// Whether a reply reference changes the refcount (all but epoch).
pub fn reply_ref_counts(s: Strategy) -> bool {
    s != Strategy::Epoch
}

/// Whether an IO thread releases a sent reference itself instead of deferring it to main.
pub fn io_may_release(s: Strategy) -> bool {
    s != Strategy::Confinement
}

/// Whether main releases an overwritten value itself instead of handing it to an IO thread
/// (epoch: main is the one that retires).
pub fn main_retires(s: Strategy) -> bool {
    s == Strategy::Epoch
}

/// Whether `obj` is owned by its one counted holder and borrowed by no reply: what Redis's
/// `refcount == 1` tests mean (for in-place edits and payload stealing). Main only.
pub fn sole_owner(cx: Cx<'_>, obj: &RObj) -> bool {
    obj.refcount(cx) == 1 && obj.hdr().reply_borrows == 0
}
