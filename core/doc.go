// Package core defines the connection abstraction shared by every backend of
// lightyear_conn (what lightyear calls NetClient and NetServer): client ids
// tagged by backend, client states, disconnect reasons, server events, and
// the Client and Server interfaces that netcode, Steam and local connections
// implement.
//
// Time is driven by the host: nothing happens between calls to Update, and
// every backend is safe for use by one goroutine at a time unless its own
// documentation says otherwise.
package core
