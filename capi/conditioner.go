package main

/*
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

import (
	"math"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core/conditioner"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

func millis(ms C.double) time.Duration {
	f := float64(ms) * float64(time.Millisecond)
	if math.IsNaN(f) || f > math.MaxInt64 || f < math.MinInt64 {
		return -1 // refused by Validate
	}
	return time.Duration(f)
}

// conditionerSizeV1 is sizeof(ly_conditioner_config) in the first
// release, before the burst fields.
const conditionerSizeV1 = C.uint32_t(unsafe.Offsetof(C.ly_conditioner_config{}.burst_model))

// goConditioner reads an optional ly_conditioner_config. A caller built
// before the burst fields passes a struct_size that ends before them;
// reading them would run past its struct.
func goConditioner(c *C.ly__cconditioner_config) (*conditioner.Config, C.int) {
	if c == nil {
		return nil, C.LY_OK
	}
	if c.struct_size < conditionerSizeV1 {
		return nil, fail(errInvalidArgument, "ly_conditioner_config.struct_size is %d, want at least %d (sizeof(ly_conditioner_config) is %d)", c.struct_size, conditionerSizeV1, unsafe.Sizeof(*c))
	}
	cfg := &conditioner.Config{
		Latency:      millis(c.latency_ms),
		Jitter:       millis(c.jitter_ms),
		Loss:         float64(c.loss),
		Duplicate:    float64(c.duplicate),
		Reorder:      float64(c.reorder),
		ReorderDelay: millis(c.reorder_delay_ms),
		Seed:         uint64(c.seed),
	}
	if c.struct_size >= C.uint32_t(unsafe.Sizeof(*c)) {
		cfg.Burst = conditioner.Burst{
			P: float64(c.burst_p), R: float64(c.burst_r),
			LossGood: float64(c.burst_loss_good), LossBad: float64(c.burst_loss_bad),
		}
		switch c.burst_model {
		case C.LY_BURST_NONE:
		case C.LY_BURST_GILBERT:
			cfg.Burst.Model = conditioner.Gilbert
		case C.LY_BURST_GILBERT_ELLIOTT:
			cfg.Burst.Model = conditioner.GilbertElliott
		default:
			return nil, fail(errInvalidArgument, "unknown ly_conditioner_config.burst_model %d", c.burst_model)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, failErr(err, errInvalidArgument)
	}
	return cfg, C.LY_OK
}

func conditioning(send, recv *C.ly__cconditioner_config) (*netcode.Conditioning, C.int) {
	s, rc := goConditioner(send)
	if rc != C.LY_OK {
		return nil, rc
	}
	r, rc := goConditioner(recv)
	if rc != C.LY_OK {
		return nil, rc
	}
	if s == nil && r == nil {
		return nil, C.LY_OK
	}
	return &netcode.Conditioning{Send: s, Recv: r}, C.LY_OK
}

// ly__go_conditioner_preset_config_sized writes no more than size bytes:
// the caller's struct may be the first release's, shorter than ours.
//
//export ly__go_conditioner_preset_config_sized
func ly__go_conditioner_preset_config_sized(preset C.int, out *C.ly_conditioner_config, size C.uint32_t) (rc C.int) {
	defer recoverPanic(&rc)
	if out == nil {
		return fail(errInvalidArgument, "config is NULL")
	}
	if size < conditionerSizeV1 {
		return fail(errInvalidArgument, "size %d is below the first release's sizeof(ly_conditioner_config), %d", size, conditionerSizeV1)
	}
	var p conditioner.Config
	switch preset {
	case C.LY_CONDITIONER_OFF:
	case C.LY_CONDITIONER_GOOD:
		p = conditioner.Good
	case C.LY_CONDITIONER_AVERAGE:
		p = conditioner.Average
	case C.LY_CONDITIONER_POOR:
		p = conditioner.Poor
	default:
		return fail(errInvalidArgument, "unknown conditioner preset %d", preset)
	}
	ms := func(d time.Duration) C.double { return C.double(float64(d) / float64(time.Millisecond)) }
	n := min(size, C.uint32_t(unsafe.Sizeof(*out)))
	full := C.ly_conditioner_config{
		struct_size:      n,
		latency_ms:       ms(p.Latency),
		jitter_ms:        ms(p.Jitter),
		loss:             C.double(p.Loss),
		duplicate:        C.double(p.Duplicate),
		reorder:          C.double(p.Reorder),
		reorder_delay_ms: ms(p.ReorderDelay),
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(out)), n), unsafe.Slice((*byte)(unsafe.Pointer(&full)), n))
	return C.LY_OK
}

//export ly__go_server_set_conditioner
func ly__go_server_set_conditioner(h *C.ly_server, send, recv *C.ly__cconditioner_config) (rc C.int) {
	defer recoverPanic(&rc)
	cond, rc := conditioning(send, recv)
	if rc != C.LY_OK {
		return rc
	}
	e, s, rc := lockServer(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	if s.nc == nil {
		return C.LY_OK // no netcode sockets to condition
	}
	if err := s.nc.SetConditioning(cond); err != nil {
		return failErr(err, errInvalidArgument)
	}
	return C.LY_OK
}

//export ly__go_client_set_conditioner
func ly__go_client_set_conditioner(h *C.ly_client, send, recv *C.ly__cconditioner_config) (rc C.int) {
	defer recoverPanic(&rc)
	cond, rc := conditioning(send, recv)
	if rc != C.LY_OK {
		return rc
	}
	e, c, rc := lockClient(h)
	if e == nil {
		return rc
	}
	defer e.mu.Unlock()
	nc, ok := c.cli.(*netcode.Client)
	if !ok {
		return fail(errInvalidArgument, "a local client is not conditioned")
	}
	if err := nc.SetConditioning(cond); err != nil {
		return failErr(err, errInvalidArgument)
	}
	return C.LY_OK
}
