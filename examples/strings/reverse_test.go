package strings

import (
	"testing"
	"unsafe"
)

func TestReverse(t *testing.T) {
	for in, want := range map[string]string{"": "", "abc": "cba", "héllo": "olléh"} {
		if got := Reverse(in); got != want {
			t.Errorf("Reverse(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWordSize(t *testing.T) {
	t.Logf("pointer size %d bytes", unsafe.Sizeof(uintptr(0)))
}
