//! Bytes into the request parser (see `refrace_sims::fuzz::resp_request`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| refrace_sims::fuzz::resp_request(data));
