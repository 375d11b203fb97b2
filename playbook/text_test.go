package playbook

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

func TestRenderMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"**bold** and *it* and _it_", "<strong>bold</strong> and <em>it</em> and <em>it</em>"},
		{"snake_case_name stays", "snake_case_name stays"},
		{"<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"},
		{"<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
		{"[site](https://example.com/a_b_c)", `<a href="https://example.com/a_b_c" target="_blank" rel="noopener nofollow">site</a>`},
		{"[mail](mailto:a@b.co)", `<a href="mailto:a@b.co" target="_blank" rel="noopener nofollow">mail</a>`},
		{"[x](javascript:alert(1))", "[x](javascript:alert(1))"},
		{`[x](https://a.example/"onmouseover="alert(1))`, `[x](https://a.example/&#34;onmouseover=&#34;alert(1))`},
		{"![logo](https://cdn.example/l.png)", `<img src="https://cdn.example/l.png" alt="logo">`},
		{"![x](data:image/png;base64,AAA)", "![x](data:image/png;base64,AAA)"},
		{"Pick:\n- one\n- **two**\nafter", "Pick:<ul><li>one</li><li><strong>two</strong></li></ul>after"},
		{"a\nb", "a<br>b"},
	}
	for _, tt := range tests {
		if got := RenderMarkdown(tt.in); got != tt.want {
			t.Errorf("RenderMarkdown(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

func TestInputValidators(t *testing.T) {
	tests := []struct {
		kind InputKind
		in   string
		lang string
		want any // nil: invalid
	}{
		{InputText, " hello ", "", "hello"},
		{InputText, "   ", "", nil},
		{InputEmail, "Ann@Example.COM", "", "Ann@example.com"},
		{InputEmail, "ann@localhost", "", nil},
		{InputEmail, "Ann <ann@x.io>", "", nil},
		{InputEmail, "not an email", "", nil},
		{InputPhone, "+33 6 12 34 56 78", "", "+33612345678"},
		{InputPhone, "(555) 123-4567", "", "5551234567"},
		{InputPhone, "12345", "", nil},
		{InputPhone, "+1 555 CALL NOW", "", nil},
		{InputPhone, "123456789012345678901", "", nil},
		{InputNumber, "12", "", 12.0},
		{InputNumber, "12,5", "", 12.5},
		{InputNumber, "1 000", "", 1000.0},
		{InputNumber, "1,000.50", "", 1000.5},
		{InputNumber, "twelve", "", nil},
		{InputNumber, "NaN", "", nil},
		{InputNumber, "0x10", "", nil},
		{InputURL, "example.com/pricing", "", "https://example.com/pricing"},
		{InputURL, "http://a.example", "", "http://a.example"},
		{InputURL, "javascript:alert(1)", "", nil},
		{InputURL, "localhost", "", nil},
		{InputDate, "2026-12-02", "", "2026-12-02"},
		{InputDate, "02/12/2026", "fr", "2026-12-02"},
		{InputDate, "02/12/2026", "en-US", "2026-02-12"},
		{InputDate, "13/02/2026", "en-US", "2026-02-13"},
		{InputDate, "02.12.2026", "de", "2026-12-02"},
		{InputDate, "31/02/2026", "fr", nil},
		{InputDate, "tomorrow", "", nil},
		{InputName, "  Ann   Lee ", "", "Ann Lee"},
		{InputName, "1234", "", nil},
		{InputName, "ann@x.io", "", nil},
		{InputOrganization, "Lee & Co", "", "Lee & Co"},
	}
	for _, tt := range tests {
		got, ok := checkInput(tt.kind, tt.in, tt.lang)
		if (tt.want == nil) == ok || (ok && got != tt.want) {
			t.Errorf("%s %q (%s) = %v, %v; want %v", tt.kind, tt.in, tt.lang, got, ok, tt.want)
		}
	}
}

// strip drops positions so documents from different sources compare.
func strip(d *Document) *Document {
	c := *d
	c.pos = nil
	return &c
}

func TestExportRoundTrip(t *testing.T) {
	for _, name := range append(samples, "bad") {
		path := "testdata/bad.yaml"
		if name != "bad" {
			path = samplePath(name)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := Parse(data)
		out, err := Export(doc)
		if err != nil {
			t.Fatal(err)
		}
		again, probs := Parse(out)
		if name != "bad" && len(probs) > 0 {
			t.Fatalf("%s: export does not parse cleanly: %v\n%s", name, probs, out)
		}
		if !reflect.DeepEqual(strip(again), strip(doc)) {
			t.Errorf("%s: parse(export(doc)) != doc\n%s", name, out)
		}
		out2, _ := Export(again)
		if !bytes.Equal(out, out2) {
			t.Errorf("%s: export is not stable:\n%s\n---\n%s", name, out, out2)
		}
		// JSON goes through the same model and keeps card order.
		js, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON Document
		if err := json.Unmarshal(js, &fromJSON); err != nil {
			if name != "bad" {
				t.Fatalf("%s: %v\n%s", name, err, js)
			}
			continue
		}
		if !reflect.DeepEqual(strip(&fromJSON), strip(doc)) {
			t.Errorf("%s: JSON round trip differs\n%s", name, js)
		}
	}
}

func TestExportIsReadable(t *testing.T) {
	doc, _ := Parse([]byte(mustRead(t, samplePath("qualifier"))))
	out, _ := Export(doc)
	for _, want := range []string{
		"      - {label: I want a demo, value: demo}\n",
		"    activity: {type: call, subject: Intro call, due: +1d}\n",
		"      - if: field.team_size >= 10\n        goto: email\n",
		"cards:\n  intent:\n    type: question\n",
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("export lacks %q:\n%s", want, out)
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
