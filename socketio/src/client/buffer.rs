//! The send buffer: emits made while their namespace is not connected, sent in order
//! once it is (socket.io-client's `sendBuffer`), bounded by the `send_buffer` option.

use std::collections::VecDeque;

use crate::args::Outgoing;
use crate::error::Error;

/// A packet waiting for its namespace.
pub(crate) struct Buffered {
    pub(crate) namespace: String,
    /// The ack id the packet carries, if it waits for an answer.
    pub(crate) ack_id: Option<u64>,
    pub(crate) packet: Outgoing,
}

/// Packets waiting for their namespace to connect, oldest first.
pub(crate) struct SendBuffer {
    capacity: usize,
    packets: VecDeque<Buffered>,
}

impl SendBuffer {
    /// A buffer of at most `capacity` packets (0: nothing is buffered).
    pub(crate) fn new(capacity: usize) -> SendBuffer {
        SendBuffer {
            capacity,
            packets: VecDeque::new(),
        }
    }

    /// Queues a packet; [`Error::NotConnected`] when buffering is off, [`Error::BufferFull`]
    /// at capacity.
    pub(crate) fn push(&mut self, buffered: Buffered) -> Result<(), Error> {
        if self.capacity == 0 {
            return Err(Error::NotConnected);
        }
        if self.packets.len() >= self.capacity {
            return Err(Error::BufferFull);
        }
        self.packets.push_back(buffered);
        Ok(())
    }

    /// Takes the packets of `namespace`, in the order they were emitted.
    pub(crate) fn take_for(&mut self, namespace: &str) -> Vec<Buffered> {
        if self.packets.is_empty() {
            return Vec::new();
        }
        let (mine, others): (VecDeque<Buffered>, VecDeque<Buffered>) = self
            .packets
            .drain(..)
            .partition(|buffered| buffered.namespace == namespace);
        self.packets = others;
        mine.into()
    }

    /// Takes every packet (the client disconnects for good).
    pub(crate) fn take_all(&mut self) -> Vec<Buffered> {
        self.packets.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(namespace: &str, text: &str) -> Buffered {
        Buffered {
            namespace: namespace.into(),
            ack_id: None,
            packet: Outgoing {
                text: text.into(),
                attachments: Vec::new(),
            },
        }
    }

    fn texts(packets: Vec<Buffered>) -> Vec<String> {
        packets.into_iter().map(|b| b.packet.text).collect()
    }

    #[test]
    fn a_namespace_gets_its_packets_in_emit_order_and_the_others_keep_theirs() {
        let mut buffer = SendBuffer::new(10);
        for (ns, text) in [
            ("/", "a"),
            ("/chat", "x"),
            ("/", "b"),
            ("/chat", "y"),
            ("/", "c"),
        ] {
            buffer.push(packet(ns, text)).unwrap();
        }
        assert_eq!(texts(buffer.take_for("/")), ["a", "b", "c"]);
        assert!(buffer.take_for("/").is_empty());
        assert_eq!(texts(buffer.take_all()), ["x", "y"]);
    }

    #[test]
    fn a_full_buffer_refuses_and_a_zero_capacity_buffers_nothing() {
        let mut buffer = SendBuffer::new(2);
        buffer.push(packet("/", "a")).unwrap();
        buffer.push(packet("/", "b")).unwrap();
        assert!(matches!(
            buffer.push(packet("/", "c")),
            Err(Error::BufferFull)
        ));
        let mut off = SendBuffer::new(0);
        assert!(matches!(
            off.push(packet("/", "a")),
            Err(Error::NotConnected)
        ));
    }
}
