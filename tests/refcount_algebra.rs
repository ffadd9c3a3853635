//! Refcount algebra on one object: any sequence of retains and releases by distinct holders
//! keeps the count equal to the number of holders (the ledger checks every step), the object is
//! freed exactly when the last holder lets go, and a release past zero is Redis's panic.

use proptest::prelude::*;
use refrace_model::ledger::{Holder, Tid};
use refrace_model::object::{Cx, RObj};
use refrace_model::{Config, Env};

proptest! {
    #[test]
    fn count_tracks_holders_and_frees_once(ops in prop::collection::vec(any::<bool>(), 0..64)) {
        let env = Env::new(Config::default(), false);
        let cx = Cx::main(&env);
        let o = RObj::create_string(cx, &[7u8; 100], Holder::Keyspace);
        let mut held: Vec<u64> = Vec::new();
        let mut next = 1;
        for incr in ops {
            if incr {
                o.incr_ref_count(cx, Holder::Reply(next));
                held.push(next);
                next += 1;
            } else if let Some(c) = held.pop() {
                o.decr_ref_count(cx, Holder::Reply(c));
            }
            prop_assert_eq!(o.refcount_peek() as usize, held.len() + 1);
            prop_assert!(env.ledger.is_live(o.ptr()));
        }
        for c in held.into_iter().rev() {
            o.decr_ref_count(cx, Holder::Reply(c));
        }
        o.decr_ref_count(cx, Holder::Keyspace);
        prop_assert!(!env.ledger.is_live(o.ptr()));
        env.ledger.assert_quiescent();
    }
}

#[test]
#[should_panic(expected = "INVARIANT REFCOUNT_UNDERFLOW")]
fn release_past_zero_is_redis_panic() {
    let env = Env::new(Config::default(), false);
    let cx = Cx::main(&env);
    let o = RObj::create_string(cx, b"x", Holder::Temp);
    o.decr_ref_count(cx, Holder::Temp);
    o.decr_ref_count(cx, Holder::Temp);
}

#[test]
#[should_panic(expected = "INVARIANT COUNT_CONSERVATION")]
fn release_by_a_non_holder_is_caught() {
    let env = Env::new(Config::default(), false);
    let cx = Cx::main(&env);
    let o = RObj::create_string(cx, b"x", Holder::Keyspace);
    o.incr_ref_count(cx, Holder::Reply(1));
    o.decr_ref_count(cx, Holder::Reply(2));
}

#[test]
#[should_panic(expected = "INVARIANT USE_AFTER_FREE")]
fn read_after_free_is_caught() {
    let env = Env::new(Config::default(), false);
    let cx = Cx::main(&env);
    let o = RObj::create_string(cx, &[1u8; 64], Holder::Temp);
    o.decr_ref_count(cx, Holder::Temp);
    o.string_bytes(cx, "payload");
}

#[test]
#[should_panic(expected = "INVARIANT FREE_UNKNOWN")]
fn free_of_an_unknown_address_is_caught() {
    let env = Env::new(Config::default(), false);
    let bogus = refrace_model::ledger::Ptr {
        addr: 0xdead,
        id: refrace_model::ledger::AllocId(999),
    };
    env.ledger.free(Tid::Main, bogus);
}

#[test]
#[should_panic(expected = "INVARIANT LEAK")]
fn live_allocation_at_quiescence_is_a_leak() {
    let env = Env::new(Config::default(), false);
    let cx = Cx::main(&env);
    let _o = RObj::create_string(cx, b"kept", Holder::Keyspace);
    env.ledger.assert_quiescent();
}
