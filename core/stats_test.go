package core

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Add adds every counter and Dropped totals every drop counter: a counter
// added to Stats and forgotten in either fails here.
func TestStatsAddAndDroppedCoverEveryCounter(t *testing.T) {
	var a, b Stats
	va, vb := reflect.ValueOf(&a).Elem(), reflect.ValueOf(&b).Elem()
	typ := va.Type()
	var dropped uint64
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		switch f.Type {
		case reflect.TypeFor[uint64]():
			va.Field(i).SetUint(uint64(i+1) << 32)
			vb.Field(i).SetUint(uint64(i + 1))
			if strings.HasPrefix(f.Name, "Dropped") {
				dropped += uint64(i+1)<<32 + uint64(i+1)
			}
		case reflect.TypeFor[time.Duration]():
			va.Field(i).SetInt(int64(i + 1))
			vb.Field(i).SetInt(1000)
		default:
			t.Fatalf("Stats.%s is a %v: teach Add (and this test) about it", f.Name, f.Type)
		}
	}
	a.Add(b)
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		got := va.Field(i)
		if f.Type == reflect.TypeFor[time.Duration]() {
			if got.Int() != int64(i+1) {
				t.Errorf("Add changed %s to %v, want it left as it was", f.Name, time.Duration(got.Int()))
			}
			continue
		}
		if want := uint64(i+1)<<32 + uint64(i+1); got.Uint() != want {
			t.Errorf("Add: %s = %#x, want %#x (forgotten?)", f.Name, got.Uint(), want)
		}
	}
	if got := a.Dropped(); got != dropped {
		t.Errorf("Dropped() = %#x, want %#x: a Dropped* counter is missing from the total", got, dropped)
	}
}
