// Package conditioner simulates a bad network between a backend and its
// transport: latency, jitter, loss (independent, or in bursts by the
// Gilbert and Gilbert–Elliott models), duplication and reordering, on the
// send side, the receive side or both.
//
// lightyear's link conditioner delays received packets only; conditioning
// sends too lets one process model an asymmetric link (a fast download and
// a lossy upload) and lets a test condition a peer it cannot wrap.
//
// Wrap puts a Conn around any transport.Transport. Each direction has its
// own Link: a delay line that holds datagrams until the host's clock reaches
// their release time. Nothing runs in the background and nothing sleeps:
// datagrams move only inside ReadBatch and WriteBatch, at the time the
// host's clock function reports, so a test driving a simulated clock gets
// the same deliveries, at the same simulated times, on every run with the
// same Config.Seed.
package conditioner
