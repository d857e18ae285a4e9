//go:build race

package conditioner

const raceEnabled = true
