//go:build !linux

package main

// udpDrops needs /proc: elsewhere kernel drops read as none.
func udpDrops() map[uint64]sockDrops { return nil }
