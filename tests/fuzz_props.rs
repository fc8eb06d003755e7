//! A short, bounded version of the fuzz targets of `fuzz/` for every test run: the same checks
//! (`fuzz/src/lib.rs`, included below) over 20000 inputs per decoder, made by a seeded
//! xorshift generator from the fuzz seed corpora (`fuzz/seeds/<target>/`: the protocol
//! documents' examples), mutated, spliced, and from scratch. Deterministic; well under 5 s.
//!
//! Crashes found by `cargo fuzz` become regression cases here (`regressions`).

#[path = "../fuzz/src/lib.rs"]
mod checks;

use std::path::Path;
use std::time::{Duration, Instant};

/// Inputs per decoder.
const CASES: usize = 20_000;
/// Stop early (with what was checked) on a slow machine.
const BUDGET: Duration = Duration::from_secs(4);

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Bytes that matter to the decoders, for insertions.
const TOKENS: &[&[u8]] = &[
    b"0",
    b"1",
    b"2",
    b"3",
    b"4",
    b"5",
    b"6",
    b"b",
    b"-",
    b"/",
    b",",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"\x1e",
    b":",
    b"99999999999999999999999",
    b"18446744073709551616",
    b"_placeholder",
    br#"{"_placeholder":true,"num":0}"#,
    br#"{"_placeholder":true,"num":4294967296}"#,
    b"null",
    b"true",
    b"1e999",
    b"-0",
    b"\\u0000",
    b"\\ud800",
    "\u{20ac}".as_bytes(),
    b"\xff",
    b"\xc3",
    b"AQID",
    b"==",
    b"=",
    b"/admin,",
    b"42",
    b"451-",
];

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

/// One input: a mutated seed, a splice of two, or random bytes.
fn input(rng: &mut XorShift, seeds: &[Vec<u8>]) -> Vec<u8> {
    match rng.below(8) {
        0 => (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
        1 => {
            let (a, b) = (rng.pick(seeds), rng.pick(seeds));
            let (i, j) = (rng.below(a.len() + 1), rng.below(b.len() + 1));
            [&a[..i], &b[j..]].concat()
        }
        _ => {
            let mut data = rng.pick(seeds).clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(data.len() + 1);
                match rng.below(5) {
                    0 if at < data.len() => data[at] ^= 1 << rng.below(8),
                    1 if at < data.len() => {
                        data.remove(at);
                    }
                    2 => {
                        let token = *rng.pick(TOKENS);
                        data.splice(at..at, token.iter().copied());
                    }
                    3 if at < data.len() => data[at] = rng.next() as u8,
                    _ => data.truncate(at),
                }
            }
            data
        }
    }
}

fn run(target: &str, seed: u64, check: fn(&[u8])) {
    let seeds = seeds(target);
    for s in &seeds {
        check(s);
    }
    let mut rng = XorShift(seed);
    let started = Instant::now();
    let mut done = 0;
    while done < CASES && started.elapsed() < BUDGET {
        let data = input(&mut rng, &seeds);
        let result = std::panic::catch_unwind(|| check(&data));
        if let Err(panic) = result {
            std::panic::resume_unwind(Box::new(format!(
                "{target}: the check failed on input {:?} ({}): {:?}",
                String::from_utf8_lossy(&data),
                data.escape_ascii(),
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            )));
        }
        done += 1;
    }
    eprintln!(
        "{target}: {} seeds and {done} generated inputs in {:?}",
        seeds.len(),
        started.elapsed()
    );
    assert!(
        done >= 500,
        "{target}: only {done} inputs within {BUDGET:?}"
    );
}

#[test]
fn engineio_decoders() {
    run("engineio_decode", 0x5eed_0001, checks::engineio);
}

#[test]
fn socketio_packet_decoder_and_data() {
    run("socketio_packet", 0x5eed_0002, checks::socketio_packet);
}

#[test]
fn attachment_reassembly() {
    run("reassembler", 0x5eed_0003, checks::reassembler);
}

#[test]
fn msgpack_decoder() {
    run("msgpack", 0x5eed_0004, checks::msgpack);
}

/// Inputs that once failed (found by `cargo fuzz`), and edge cases worth keeping.
#[test]
fn regressions() {
    for input in [
        &b""[..],
        b"\x1e",
        b"b",
        b"0",
        b"0{}",
        b"4\x1e\x1e4",
        b"bAQIDBA",
        b"bAQIDBB==",
    ] {
        checks::engineio(input);
    }
    for input in [
        &b"\x10"[..],
        b"\x105",
        b"\x105-",
        b"\x1050-",
        b"\x10599999999999999999999999-",
        b"\x102/",
        b"\x102/,",
        b"\x102/,/x",
        b"\x102/admin",
        b"\x10299999999999999999999[]",
        b"\x102018446744073709551615[]",
        b"\x1031",
        b"\x1062-[{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":18446744073709551615}]",
    ] {
        checks::socketio_packet(input);
    }
    // msgpack: a map whose keys repeat once converted (integer 0 and string "0", found by
    // `cargo fuzz`) left an attachment that no placeholder pointed at.
    checks::msgpack(b"\x08\x84\xa4type\x03\xa3nsp\xa1/\xa4data\x94\xc4\x02\xff@\xcbyp\x00\x88\x88\x88\x88\x88\x88\x80\x80\x00\x94\xc4\x02\xff@\xcbyp\x00\x88\x88\x88\x88\x88\x88\x80\x80\x00\x00\x00\x00\x00\x00\x03\x80*\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x80*\x00\x00\x00\x00\x00\x00\x00\x80\x80\x80\x80\xc3\xa2id\x07");
    // msgpack: a CONNECT whose data is an extension type (read as null), found likewise.
    checks::msgpack(b"\x08\x83\xa4type\x00\xa3n\x01+\xa1/\xa4data\xd5\x90\x08\x17\x01\x08\x00y_\x831\x00\x92\xd2\x11");
    // msgpack: an ACK whose data is a number, which the text form reads as an ack id.
    checks::msgpack(b"\x08\x84\xa4type\x03\xa3nsp\xa1/\xa4data\xcb\x00\x94\xc4\xff\x02\x00\x00\x00\x00\x00@\x00\x00?\x00\x00\xf8\x00\x00\x08\x84\xa4t\x00\x00yp\xff");
    // 100000 nested arrays as an event argument and as an ack: valid JSON that no handler
    // parameter can hold (serde_json stops at 128 levels); nothing may overflow the stack.
    for prefix in [
        "\x102[\"ev\",",
        "\x1031[",
        "\x1051-[\"ev\",{\"_placeholder\":true,\"num\":0},",
    ] {
        let depth = 100_000;
        let input = format!("{prefix}{}{}]", "[".repeat(depth), "]".repeat(depth));
        checks::socketio_packet(input.as_bytes());
    }
}
