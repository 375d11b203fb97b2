package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const examples = "../../../shared/examples/"

func TestPlaybookValidateSamples(t *testing.T) {
	var out, errb bytes.Buffer
	files := []string{examples + "faq.yaml", examples + "live-chat.yaml", examples + "qualifier.yaml"}
	if code := runPlaybookValidate(files, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if got := strings.Count(out.String(), ": ok\n"); got != 3 {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestPlaybookValidateBroken(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "qualifier.yaml")
	os.WriteFile(bad, []byte("id: q\nname: Q\nstart: size\ncards:\n  size:\n    type: question\n    text: How many?\n    input: number\n    next: emial\n  email: {type: end}\n"), 0o644)
	warn := filepath.Join(dir, "warn.yaml")
	os.WriteFile(warn, []byte("id: w\nname: W\nstart: a\ncards:\n  a: {type: end}\n  b: {type: end}\n"), 0o644)

	var out, errb bytes.Buffer
	if code := runPlaybookValidate([]string{bad}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	want := bad + `:9:11: card size: next: unknown card "emial" (did you mean "email"?)`
	if !strings.Contains(out.String(), want+"\n") {
		t.Errorf("output:\n%s\nwant a line:\n%s", out.String(), want)
	}

	out.Reset()
	if code := runPlaybookValidate([]string{warn}, &out, &errb); code != 0 {
		t.Fatalf("warnings only: exit %d, want 0\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), warn+":6:3: warning: card b: unreachable") {
		t.Errorf("warning not printed:\n%s", out.String())
	}
	if code := runPlaybookValidate([]string{filepath.Join(dir, "missing.yaml")}, &out, &errb); code != 1 {
		t.Errorf("missing file: exit %d", code)
	}
	if code := runPlaybookValidate(nil, &out, &errb); code != 2 {
		t.Errorf("no files: exit %d", code)
	}
}

// captures decodes the last output line of try.
func captures(t *testing.T, out string) []map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var v struct{ Captures []map[string]any }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &v); err != nil {
		t.Fatalf("last line is not the captures JSON: %v\n%s", err, out)
	}
	return v.Captures
}

func TestPlaybookTryWithAnswersFile(t *testing.T) {
	answers := filepath.Join(t.TempDir(), "answers.txt")
	os.WriteFile(answers, []byte("1\ntwelve\n12\nann@example.com\n"), 0o644)
	var out, errb bytes.Buffer
	code := runPlaybookTry([]string{examples + "qualifier.yaml", "--answers", answers}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{
		"Ava: Hi 👋 What brings you to our pricing page?\n  1) I want a demo\n  2) Comparing plans\n  3) Just looking\n? 1\n",
		"? twelve\nAva: Please answer with a number, e.g. 12.\n",
		"[capture] deal \"ann@example.com – 12 seats\"\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	c := captures(t, out.String())
	if len(c) != 1 || c[0]["create"] != "deal" || c[0]["value"] != 7056.0 || c[0]["currency"] != "EUR" {
		t.Errorf("captures = %v", c)
	}
}

func TestPlaybookTryLiveChat(t *testing.T) {
	// Offline (the default): the offline branch runs and captures a lead;
	// an empty line skips the optional company.
	var out, errb bytes.Buffer
	code := runPlaybookTry([]string{examples + "live-chat.yaml"}, strings.NewReader("Ann\nann@x.io\n\n"), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	c := captures(t, out.String())
	if len(c) != 1 || c[0]["title"] != "Ann (no company) – live chat" {
		t.Errorf("offline captures = %v\n%s", c, out.String())
	}
	// --online: an agent claims the chat and the bot's part ends.
	out.Reset()
	code = runPlaybookTry([]string{"--online", examples + "live-chat.yaml"}, strings.NewReader("Ann\nann@x.io\n\n"), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "[live chat] an agent joins") || len(captures(t, out.String())) != 0 {
		t.Errorf("online run:\n%s", out.String())
	}
}

func TestPlaybookTryLanguageAndButtonsByLabel(t *testing.T) {
	var out, errb bytes.Buffer
	code := runPlaybookTry([]string{examples + "faq.yaml", "--lang", "fr"}, strings.NewReader("when will it arrive?\n"), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "Puis-je vous aider avec votre commande ?") ||
		!strings.Contains(out.String(), "Orders ship within **24 hours**") {
		t.Errorf("exit %d:\n%s", code, out.String())
	}
	if code := runPlaybookTry([]string{examples + "faq.yaml"}, strings.NewReader(""), &out, &errb); code != 0 ||
		!strings.Contains(errb.String(), "no more answers") {
		t.Errorf("running out of answers: exit %d, stderr %q", code, errb.String())
	}
	if code := runPlaybookTry(nil, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("no file: exit %d", code)
	}
}
