// Package hello is the demo for `make demo`: its tests print where they ran.
package hello

import "runtime"

// Arch reports the architecture this code was built for and runs on.
func Arch() string { return runtime.GOOS + "/" + runtime.GOARCH }
