package playbook

import (
	"os"
	"testing"
)

var samples = []string{"faq", "live-chat", "qualifier"}

func samplePath(name string) string { return "../../shared/examples/" + name + ".yaml" }

func mustLoad(t testing.TB, src string) *Program {
	t.Helper()
	p, probs := Load([]byte(src))
	if p == nil {
		t.Fatalf("load: %v", probs)
	}
	return p
}

func loadSample(t testing.TB, name string) *Program {
	t.Helper()
	data, err := os.ReadFile(samplePath(name))
	if err != nil {
		t.Fatal(err)
	}
	return mustLoad(t, string(data))
}
