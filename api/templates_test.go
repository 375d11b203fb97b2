package api_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parley/parley/api"
)

func TestTemplatesMatchSharedExamples(t *testing.T) {
	shared, err := filepath.Glob("../../shared/examples/*.yaml")
	if err != nil || len(shared) == 0 {
		t.Fatalf("shared examples not found: %v", err)
	}
	byName := map[string]string{}
	for _, tp := range api.Templates() {
		byName[tp.Name] = tp.Source
	}
	if len(byName) != len(shared) {
		t.Fatalf("%d templates embedded, %d shared examples", len(byName), len(shared))
	}
	for _, f := range shared {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		name = name[:len(name)-len(".yaml")]
		if byName[name] != string(want) {
			t.Errorf("api/templates/%s.yaml differs from shared/examples: copy it again", name)
		}
	}
}
