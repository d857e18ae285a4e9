use lightyear_conn_sys as sys;

/// Traffic counters of a server, one of its clients, or a client. Dropped datagrams are
/// counted by cause and never answered on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    pub packets_sent: u64,
    pub packets_received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Wrong size, version, type or body.
    pub dropped_malformed: u64,
    /// Sequence already seen or too old.
    pub dropped_replayed: u64,
    /// The AEAD refused a packet or token.
    pub dropped_decrypt_failed: u64,
    /// An encrypted packet from an address with no key.
    pub dropped_unknown_address: u64,
    /// A payload arrived with the receive queue full.
    pub dropped_queue_full: u64,
    /// Well formed but refused (expired or reused token, ...).
    pub dropped_rejected: u64,
    /// Seconds since the last accepted packet (per connection only).
    pub seconds_since_last_receive: f64,
    /// A datagram over the biggest netcode packet (1225 bytes).
    pub dropped_oversized: u64,
    /// A connection request refused because the token history or the pending-handshake table
    /// was full.
    pub dropped_table_full: u64,
}

impl Stats {
    pub(crate) fn raw_empty() -> sys::ly_stats {
        sys::ly_stats {
            struct_size: std::mem::size_of::<sys::ly_stats>() as u32,
            ..Default::default()
        }
    }

    pub(crate) fn from_raw(r: &sys::ly_stats) -> Self {
        Stats {
            packets_sent: r.packets_sent,
            packets_received: r.packets_received,
            bytes_sent: r.bytes_sent,
            bytes_received: r.bytes_received,
            dropped_malformed: r.dropped_malformed,
            dropped_replayed: r.dropped_replayed,
            dropped_decrypt_failed: r.dropped_decrypt_failed,
            dropped_unknown_address: r.dropped_unknown_address,
            dropped_queue_full: r.dropped_queue_full,
            dropped_rejected: r.dropped_rejected,
            seconds_since_last_receive: r.seconds_since_last_receive,
            dropped_oversized: r.dropped_oversized,
            dropped_table_full: r.dropped_table_full,
        }
    }

    /// Every dropped datagram, all causes.
    pub fn dropped(&self) -> u64 {
        self.dropped_malformed
            + self.dropped_replayed
            + self.dropped_decrypt_failed
            + self.dropped_unknown_address
            + self.dropped_queue_full
            + self.dropped_rejected
            + self.dropped_oversized
            + self.dropped_table_full
    }
}
