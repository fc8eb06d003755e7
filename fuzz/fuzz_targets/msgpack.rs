#![no_main]
//! See `socketio_fuzz::msgpack` (fuzz/src/lib.rs) for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketio_fuzz::msgpack(data));
