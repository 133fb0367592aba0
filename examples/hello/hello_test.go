package hello

import (
	"os"
	"strings"
	"testing"
)

func TestArch(t *testing.T) {
	host, _ := os.Hostname()
	t.Logf("running %s on host %q", Arch(), host)
}

func TestTestdata(t *testing.T) {
	b, err := os.ReadFile("testdata/greeting.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != "hello from the laptop" {
		t.Fatalf("greeting = %q", got)
	}
}
