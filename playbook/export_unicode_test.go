package playbook

import (
	"fmt"
	"strings"
	"testing"
)

func TestExportKeepsEmojiAsWritten(t *testing.T) {
	src := "id: e\nname: E\nstart: hi\ncards:\n  hi: {type: message, text: \"Hi 👋 \\U0001F600 \\uE000\"}\n"
	doc, probs := Parse([]byte(src))
	if len(probs.Errors()) > 0 {
		t.Fatal(probs)
	}
	out, err := Export(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "Hi 👋 😀") || strings.Contains(string(out), `\U0001F44B`) {
		t.Fatalf("export:\n%s", out)
	}
	again, probs := Parse(out)
	if len(probs.Errors()) > 0 {
		t.Fatal(probs)
	}
	if got, want := again.Cards[0].Text, doc.Cards[0].Text; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("round trip: %#v, want %#v", got, want)
	}
}
