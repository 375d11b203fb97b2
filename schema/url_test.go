package schema

import "testing"

func TestWithBinaryParameters(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u@h/db":                          "postgres://u@h/db?binary_parameters=yes",
		"postgres://u@h/db?sslmode=disable":          "postgres://u@h/db?sslmode=disable&binary_parameters=yes",
		"postgres://u@h/db?binary_parameters=no":     "postgres://u@h/db?binary_parameters=no",
		"postgresql://u@h/db?a=1&binary_parameters=": "postgresql://u@h/db?a=1&binary_parameters=",
	} {
		if got := withBinaryParameters(in); got != want {
			t.Errorf("withBinaryParameters(%q) = %q, want %q", in, got, want)
		}
	}
}
