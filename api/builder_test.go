package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/parley/parley/playbook"
	"github.com/parley/parley/schema/schematest"
)

type convertOut struct {
	Document json.RawMessage `json:"document"`
	YAML     string          `json:"yaml"`
	Order    []string        `json:"order"`
	Valid    bool            `json:"valid"`
	Problems []struct {
		Line    int    `json:"line"`
		Col     int    `json:"col"`
		Card    string `json:"card"`
		Path    string `json:"path"`
		Message string `json:"message"`
		Warning bool   `json:"warning"`
	} `json:"problems"`
}

func sharedExamples(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("../../shared/examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("shared examples not found: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = b
	}
	return out
}

// The builder's round trip: YAML → the JSON model the browser edits → YAML
// gives the canonical export of the sample, and parsing it gives the same
// document.
func TestBuilderRoundTripSamples(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t))
	for name, src := range sharedExamples(t) {
		t.Run(name, func(t *testing.T) {
			y := string(src)
			r := e.asAgent("POST", "/api/v1/playbooks/convert", map[string]any{"yaml": y})
			expect(t, r, http.StatusOK)
			var toModel convertOut
			r.data(t, &toModel)
			if !toModel.Valid {
				t.Fatalf("sample not valid: %+v", toModel.Problems)
			}
			doc, probs := playbook.Parse(src)
			if len(probs.Errors()) > 0 {
				t.Fatal(probs)
			}
			want, err := playbook.Export(doc)
			if err != nil {
				t.Fatal(err)
			}
			if toModel.YAML != string(want) {
				t.Errorf("YAML of the sample:\n%s\nwant the export:\n%s", toModel.YAML, want)
			}
			var ids []string
			for _, c := range doc.Cards {
				ids = append(ids, c.ID)
			}
			if !reflect.DeepEqual(toModel.Order, ids) {
				t.Errorf("order %v, want %v", toModel.Order, ids)
			}
			// The browser sends the model back as it got it (JSON.parse and
			// JSON.stringify keep the order of non-numeric keys).
			r = e.asAgent("POST", "/api/v1/playbooks/convert", map[string]any{"document": toModel.Document})
			expect(t, r, http.StatusOK)
			var back convertOut
			r.data(t, &back)
			if back.YAML != string(want) {
				t.Errorf("YAML → model → YAML:\n%s\nwant:\n%s", back.YAML, want)
			}
			again, probs := playbook.Parse([]byte(back.YAML))
			if len(probs) > 0 {
				t.Fatal(probs)
			}
			wantJSON, _ := doc.MarshalJSON()
			gotJSON, _ := again.MarshalJSON()
			if !bytes.Equal(wantJSON, gotJSON) {
				t.Errorf("documents differ:\n%s\n%s", gotJSON, wantJSON)
			}
		})
	}
}

func TestBuilderConvertErrors(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t))
	cases := []struct {
		name   string
		body   any
		status int
		field  string // a "line:col" the 422 names
	}{
		{"yaml syntax", map[string]any{"yaml": "id: x\ncards: [\n"}, http.StatusUnprocessableEntity, ""},
		{"unknown key would be lost", map[string]any{"yaml": "id: x\nname: X\nstart: a\ncards:\n  a: { type: end, colour: red }\n"}, http.StatusUnprocessableEntity, "5:19"},
		{"empty", map[string]any{"yaml": "  "}, http.StatusUnprocessableEntity, "1:1"},
		{"both", map[string]any{"yaml": "id: x", "document": map[string]any{"id": "x"}}, http.StatusBadRequest, ""},
		{"neither", map[string]any{}, http.StatusBadRequest, ""},
		{"document not an object", map[string]any{"document": []int{1}}, http.StatusBadRequest, "document"},
		{"unknown input key", map[string]any{"yml": "id: x"}, http.StatusUnprocessableEntity, "yml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.asAgent("POST", "/api/v1/playbooks/convert", tc.body)
			expect(t, r, tc.status)
			if tc.field != "" && !r.hasField(tc.field) {
				t.Errorf("errors %+v do not name %s", r.Body.Errors, tc.field)
			}
		})
	}
	// A document that reads but does not validate converts, with each
	// problem on its card and path, located in the YAML returned.
	doc := `{"id":"x","name":"X","start":"a","cards":{"a":{"type":"question","text":"Size?","input":"number","save":"field.size","next":[{"if":"answers.a >","goto":"b"},{"goto":"nowhere"}]},"b":{"type":"end"}}}`
	r := e.asAgent("POST", "/api/v1/playbooks/convert", map[string]any{"document": json.RawMessage(doc)})
	expect(t, r, http.StatusOK)
	var out convertOut
	r.data(t, &out)
	if out.Valid {
		t.Fatal("invalid document reported valid")
	}
	paths := map[string]bool{}
	for _, p := range out.Problems {
		if p.Card == "a" && p.Line > 0 {
			paths[p.Path] = true
		}
	}
	for _, want := range []string{"save", "next[0].if", "next[1].goto"} {
		if !paths[want] {
			t.Errorf("no located problem on card a at %s: %+v", want, out.Problems)
		}
	}
}

func TestBuilderTemplates(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t))
	r := e.asAgent("GET", "/api/v1/playbooks/templates", nil)
	expect(t, r, http.StatusOK)
	var tps []struct{ Name, Title, Description, Document string }
	r.data(t, &tps)
	shared := sharedExamples(t)
	if len(tps) != len(shared) {
		t.Fatalf("%d templates, %d samples", len(tps), len(shared))
	}
	for _, tp := range tps {
		if tp.Document != string(shared[tp.Name]) {
			t.Errorf("template %s differs from shared/examples", tp.Name)
		}
		if tp.Title == "" || tp.Description == "" {
			t.Errorf("template %s: title %q description %q", tp.Name, tp.Title, tp.Description)
		}
	}
}

func TestBuilderPreviewRunsTheDraft(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t))
	src := string(sharedExamples(t)["qualifier"])
	type step struct {
		State   json.RawMessage  `json:"state"`
		Effects []map[string]any `json:"effects"`
	}
	run := func(state json.RawMessage, event map[string]any) step {
		t.Helper()
		body := map[string]any{"yaml": src, "event": event, "env": map[string]any{"agents_online": 0}}
		if state != nil {
			body["state"] = state
		}
		r := e.asAgent("POST", "/api/v1/playbooks/preview", body)
		expect(t, r, http.StatusOK)
		var s step
		r.data(t, &s)
		return s
	}
	s := run(nil, map[string]any{"kind": "start"})
	if len(s.Effects) != 1 || s.Effects[0]["kind"] != "question" || s.Effects[0]["card"] != "intent" {
		t.Fatalf("start: %+v", s.Effects)
	}
	s = run(s.State, map[string]any{"kind": "answer", "card": "intent", "option": 0})
	if s.Effects[0]["card"] != "size" {
		t.Fatalf("after demo: %+v", s.Effects)
	}
	s = run(s.State, map[string]any{"kind": "answer", "card": "size", "value": "25"})
	s = run(s.State, map[string]any{"kind": "answer", "card": "email", "value": "ann@example.com"})
	kinds := []string{}
	for _, ef := range s.Effects {
		kinds = append(kinds, ef["kind"].(string))
	}
	// Nobody online: no hand-over; the deal is captured (not stored) and the flow ends.
	if strings.Join(kinds, ",") != "captured,end" {
		t.Fatalf("effects %v: %+v", kinds, s.Effects)
	}
	if v := s.Effects[0]["value"]; v != float64(25*49*12) {
		t.Errorf("deal value %v", v)
	}
	// An answer to a question that is not waiting is a conflict, not a 500.
	r := e.asAgent("POST", "/api/v1/playbooks/preview", map[string]any{"yaml": src, "state": s.State, "event": map[string]any{"kind": "answer", "card": "size", "value": "3"}})
	expect(t, r, http.StatusConflict)
}

// TestPreviewToken issues preview tokens for a document body and for a
// saved playbook's draft; the token opens the preview page, an invalid draft
// gets 422 and no token, and anonymous callers get nothing.
func TestPreviewToken(t *testing.T) {
	e := newLiveEnv(t, schematest.SQLite(t), false)
	src := string(sharedExamples(t)["qualifier"])
	type tokenOut struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
		URL       string `json:"url"`
	}
	r := e.asAgent("POST", "/api/v1/playbooks/preview-token", map[string]any{"yaml": src})
	expect(t, r, http.StatusCreated)
	var tok tokenOut
	r.data(t, &tok)
	if tok.Token == "" || tok.ExpiresAt == "" || tok.URL != "/widget/v1/preview?token="+tok.Token {
		t.Fatalf("token %+v", tok)
	}
	page, err := http.Get(e.srv.URL + tok.URL)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK {
		t.Fatalf("preview page %d", page.StatusCode)
	}

	// The saved playbook's stored draft, with no body.
	r = e.asAgent("POST", "/api/v1/playbooks/"+strconv.FormatInt(e.pb.ID, 10)+"/preview-token", nil)
	expect(t, r, http.StatusCreated)
	r = e.asAgent("POST", "/api/v1/playbooks/99999/preview-token", nil)
	expect(t, r, http.StatusNotFound)

	r = e.asAgent("POST", "/api/v1/playbooks/preview-token", map[string]any{"yaml": "id: x\nstart: nowhere\ncards: {}\n"})
	expect(t, r, http.StatusUnprocessableEntity)
	r = e.do(req{method: "POST", path: "/api/v1/playbooks/preview-token", body: map[string]any{"yaml": src}})
	expect(t, r, http.StatusUnauthorized)
}
