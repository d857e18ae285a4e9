use lightyear_conn_sys as sys;

/// Link conditioner presets (the numbers are one-way).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConditionerPreset {
    /// A perfect link: all zeros.
    Off,
    /// 40 ms, 6 ms jitter, 0.2 % loss.
    Good,
    /// 100 ms, 15 ms jitter, 2 % loss.
    Average,
    /// 200 ms, 30 ms jitter, 10 % loss.
    Poor,
}

/// Burst loss: a two-state chain (good, bad) stepped once per datagram. The datagram is
/// lost by the current state's loss probability, then the chain moves from good to bad with
/// probability [`ConditionerConfig::burst_p`], or from bad to good with
/// [`ConditionerConfig::burst_r`]. It starts in good; each direction has its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BurstModel {
    /// No burst loss; the `burst_` fields must be 0.
    #[default]
    None,
    /// Simple Gilbert: every datagram in bad is lost, none in good. Loss rate `p/(p+r)`; a
    /// burst lasts `1/r` datagrams on average. The `burst_loss_` fields must be 0.
    Gilbert,
    /// Gilbert-Elliott: lost with `burst_loss_good` in good (1-k in the usual notation) and
    /// `burst_loss_bad` in bad (1-h). Loss rate `(r*loss_good + p*loss_bad)/(p+r)`.
    GilbertElliott,
}

/// Simulated bad network on a server's or a client's netcode sockets, for what it sends or
/// what it receives ([`Server::set_conditioner`](crate::Server::set_conditioner),
/// [`Client::set_conditioner`](crate::Client::set_conditioner)). Delays run on the clock
/// driven by `update`, so a seeded run is reproducible. Local clients are not conditioned.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ConditionerConfig {
    /// One-way base delay.
    pub latency_ms: f64,
    /// Each delay is latency +- uniform jitter, never below 0.
    pub jitter_ms: f64,
    /// Probability (0..=1) a datagram is dropped, independently (on top of burst loss).
    pub loss: f64,
    /// Probability (0..=1) a datagram arrives twice.
    pub duplicate: f64,
    /// Probability (0..=1) a datagram is held back so later ones overtake it.
    pub reorder: f64,
    /// How long a reordered datagram is held; 0: twice the jitter, at least 1 ms.
    pub reorder_delay_ms: f64,
    /// Same seed, same traffic, same update steps: same result.
    pub seed: u64,
    /// Burst loss model; `None` by default and in every preset.
    pub burst_model: BurstModel,
    /// Probability (0..=1) of moving from good to bad.
    pub burst_p: f64,
    /// Probability (0..=1) of moving from bad to good.
    pub burst_r: f64,
    /// `GilbertElliott`: loss probability (0..=1) in good.
    pub burst_loss_good: f64,
    /// `GilbertElliott`: loss probability (0..=1) in bad.
    pub burst_loss_bad: f64,
}

impl ConditionerConfig {
    /// A preset, as the library defines it (seed 0).
    pub fn preset(preset: ConditionerPreset) -> Self {
        let code = match preset {
            ConditionerPreset::Off => sys::LY_CONDITIONER_OFF,
            ConditionerPreset::Good => sys::LY_CONDITIONER_GOOD,
            ConditionerPreset::Average => sys::LY_CONDITIONER_AVERAGE,
            ConditionerPreset::Poor => sys::LY_CONDITIONER_POOR,
        };
        let mut raw = sys::ly_conditioner_config::default();
        // SAFETY: raw is a valid ly_conditioner_config; the preset is one the header
        // defines, so the call cannot fail (and if it did, raw would stay all zeros: Off).
        unsafe {
            sys::ly_conditioner_preset_config_sized(
                code,
                &mut raw,
                std::mem::size_of::<sys::ly_conditioner_config>() as u32,
            )
        };
        Self::from_raw(&raw)
    }

    /// The same settings with another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub(crate) fn from_raw(raw: &sys::ly_conditioner_config) -> Self {
        ConditionerConfig {
            latency_ms: raw.latency_ms,
            jitter_ms: raw.jitter_ms,
            loss: raw.loss,
            duplicate: raw.duplicate,
            reorder: raw.reorder,
            reorder_delay_ms: raw.reorder_delay_ms,
            seed: raw.seed,
            burst_model: match raw.burst_model {
                sys::LY_BURST_GILBERT => BurstModel::Gilbert,
                sys::LY_BURST_GILBERT_ELLIOTT => BurstModel::GilbertElliott,
                _ => BurstModel::None,
            },
            burst_p: raw.burst_p,
            burst_r: raw.burst_r,
            burst_loss_good: raw.burst_loss_good,
            burst_loss_bad: raw.burst_loss_bad,
        }
    }

    pub(crate) fn to_raw(self) -> sys::ly_conditioner_config {
        sys::ly_conditioner_config {
            struct_size: std::mem::size_of::<sys::ly_conditioner_config>() as u32,
            reserved: 0,
            latency_ms: self.latency_ms,
            jitter_ms: self.jitter_ms,
            loss: self.loss,
            duplicate: self.duplicate,
            reorder: self.reorder,
            reorder_delay_ms: self.reorder_delay_ms,
            seed: self.seed,
            burst_model: match self.burst_model {
                BurstModel::None => sys::LY_BURST_NONE,
                BurstModel::Gilbert => sys::LY_BURST_GILBERT,
                BurstModel::GilbertElliott => sys::LY_BURST_GILBERT_ELLIOTT,
            },
            reserved2: 0,
            burst_p: self.burst_p,
            burst_r: self.burst_r,
            burst_loss_good: self.burst_loss_good,
            burst_loss_bad: self.burst_loss_bad,
        }
    }
}

impl From<ConditionerPreset> for ConditionerConfig {
    fn from(p: ConditionerPreset) -> Self {
        ConditionerConfig::preset(p)
    }
}

/// Pointers for ly_*_set_conditioner: NULL turns a direction off.
pub(crate) fn raw_pair(
    send: Option<&ConditionerConfig>,
    recv: Option<&ConditionerConfig>,
) -> (Option<sys::ly_conditioner_config>, Option<sys::ly_conditioner_config>) {
    (send.map(|c| c.to_raw()), recv.map(|c| c.to_raw()))
}

pub(crate) fn ptr(c: &Option<sys::ly_conditioner_config>) -> *const sys::ly_conditioner_config {
    c.as_ref().map_or(std::ptr::null(), |c| c as *const _)
}
