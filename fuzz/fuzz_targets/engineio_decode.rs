#![no_main]
//! See `socketio_fuzz::engineio` (fuzz/src/lib.rs) for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| socketio_fuzz::engineio(data));
