package main

type sockDrops struct {
	port  uint16
	drops uint64
}

// sampleKernelDrops updates the kernel drop counts of this process's
// sockets, split into the server's (c->s) and the clients' (s->c). A
// socket gone since the last sample keeps its last count; drops in its
// last moments are missed, which is why samples are also taken before the
// restart and at the end.
func (r *runner) sampleKernelDrops() {
	var serverPort uint16
	if r.server.Running() {
		serverPort = r.server.LocalAddrs()[0].Port()
	}
	now := udpDrops()
	for ino, last := range r.kdrops {
		if _, open := now[ino]; !open {
			r.closedDrops[r.dirOf(ino)] += last
			delete(r.kdrops, ino)
			delete(r.serverSocks, ino)
		}
	}
	for ino, d := range now {
		if d.port == serverPort {
			r.serverSocks[ino] = true
		}
		r.kdrops[ino] = d.drops
	}
	r.kernelDrops = r.closedDrops
	for ino, n := range r.kdrops {
		r.kernelDrops[r.dirOf(ino)] += n
	}
}

// dirOf is the direction a socket receives: the server's take c->s.
func (r *runner) dirOf(ino uint64) direction {
	if r.serverSocks[ino] {
		return up
	}
	return down
}
