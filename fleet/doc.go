// Package fleet is a directory of game servers kept in Redis, shared by
// the game servers that register in it and by any number of stateless
// token-service replicas that read it (tokenservice.Directory).
//
// # Data layout
//
// With prefix P (default "lyfleet:"):
//
//   - P + "servers": a sorted set of server ids, scored by the moment the
//     registration expires (Unix milliseconds of the Redis clock).
//   - P + "server:" + id: a hash with fields "addrs" (JSON array of
//     ip:port), "tags" (JSON array of strings), "capacity" and
//     "connected"; it carries the same TTL, so an abandoned server's data
//     goes away by itself.
//
// Listing the live servers is one ZRANGEBYSCORE from "now" plus one HMGET
// per live server, without a SCAN over the keyspace. Expiry times come
// from the Redis TIME inside the scripts, so clock skew between game
// servers and token services does not matter. Expired members are trimmed
// from the sorted set whenever a server registers or heartbeats.
//
// A token request costs one script run that touches every live server
// (filtering and ordering happen in the token service), which suits
// fleets of up to some thousands of servers.
//
// The scripts name the per-server hashes they read from their arguments,
// which a single Redis (optionally with replicas or Sentinel) allows but
// Redis Cluster does not: cluster mode is not supported.
package fleet
