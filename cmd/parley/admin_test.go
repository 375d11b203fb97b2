package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs the parley command in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestAdminCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "parley.db")
	code, out, errOut := cli(t, "migrate", "--db", db)
	if code != 0 || !strings.Contains(out, "schema is at version") {
		t.Fatalf("migrate: %d %q %q", code, out, errOut)
	}
	code, out, _ = cli(t, "migrate", "--db", db)
	if code != 0 || !strings.Contains(out, "applied 0 migration(s)") {
		t.Fatalf("second migrate: %d %q", code, out)
	}

	code, out, errOut = cli(t, "user", "add", "ann@example.com", "--name", "Ann", "--admin", "--db", db)
	if code != 0 || !strings.Contains(out, "added admin Ann <ann@example.com>") || !strings.Contains(out, "password: ") {
		t.Fatalf("user add: %d %q %q", code, out, errOut)
	}
	code, _, errOut = cli(t, "user", "add", "ann@example.com", "--name", "Ann again", "--db", db)
	if code != 1 || !strings.Contains(errOut, "email") {
		t.Fatalf("duplicate user add: %d %q", code, errOut)
	}
	code, _, _ = cli(t, "user", "add", "--db", db)
	if code != 2 {
		t.Fatalf("user add without email: %d", code)
	}
	code, out, errOut = cli(t, "token", "add", "ann@example.com", "--name", "ci", "--db", db)
	if code != 0 || !strings.HasPrefix(out, "pk_") {
		t.Fatalf("token add: %d %q %q", code, out, errOut)
	}
	code, _, errOut = cli(t, "token", "add", "nobody@example.com", "--db", db)
	if code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("token for unknown user: %d %q", code, errOut)
	}
	code, _, _ = cli(t, "bogus")
	if code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
}

func TestPlaybookImportExport(t *testing.T) {
	db := filepath.Join(t.TempDir(), "parley.db")
	sample := "../../../shared/examples/qualifier.yaml"
	want, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "playbook", "import", sample, "--publish", "--db", db)
	if code != 0 || !strings.Contains(out, "(sales-qualifier)") || !strings.Contains(out, "published version 1") {
		t.Fatalf("import: %d %q %q", code, out, errOut)
	}
	// Importing again updates the same playbook's draft and publishes version 2.
	code, out, _ = cli(t, "playbook", "import", sample, "--publish", "--db", db)
	if code != 0 || !strings.Contains(out, "published version 2") {
		t.Fatalf("re-import: %d %q", code, out)
	}
	for _, args := range [][]string{{"sales-qualifier"}, {"1", "--version", "2"}} {
		code, out, errOut = cli(t, append(append([]string{"playbook", "export"}, args...), "--db", db)...)
		if code != 0 || out != string(want) {
			t.Fatalf("export %v: %d %q\n%s", args, code, errOut, out)
		}
	}
	code, _, _ = cli(t, "playbook", "export", "sales-qualifier", "--version", "9", "--db", db)
	if code != 1 {
		t.Fatalf("export of a missing version: %d", code)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("id: x\nname: X\nstart: nowhere\ncards:\n  a: {type: message, text: hi}\n"), 0o644)
	code, _, errOut = cli(t, "playbook", "import", bad, "--db", db)
	if code != 1 || !strings.Contains(errOut, bad+":3:8:") {
		t.Fatalf("import of a broken playbook: %d %q", code, errOut)
	}
}
