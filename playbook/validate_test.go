package playbook

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	data, err := os.ReadFile("testdata/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, probs := Load(data)
	if p != nil {
		t.Fatal("Load returned a program for an invalid document")
	}
	want := []string{
		`1:5: id: "Bad_ID" is not a slug: use 1 to 64 lowercase letters, digits and -`,
		`4:16: trigger.on: on: delay needs after, e.g. after: 20s`,
		`7:11: fields.budget.type: unknown field type "money"; use text, number, date or bool`,
		`12:18: card intro: text: unknown name "persn" (did you mean "person"?)`,
		`13:5: card intro: unknown key "nxt" (did you mean "next"?)`,
		`19:11: card size: save: field.tema_size is not declared under fields (did you mean "field.team_size"?)`,
		`20:11: card size: next: unknown card "emial" (did you mean "email"?)`,
		`21:3: warning: card email: unreachable: no card leads here`,
		`26:19: card email: options[1].label: label "a" is already used by option 1`,
		`27:12: card email: input: a question has options or an input, not both`,
		`29:30: card email: next[0].if: invalid operation: >= (mismatched types float64 and string)`,
		`32:14: card email: next[1].if: the last branch must be the default: add ` + "`- goto: <card>`" + ` without if`,
		`33:3: warning: card rep: unreachable: no card leads here`,
		`35:11: card rep: wait: 2s is outside 5s to 30m`,
		`37:5: card rep: key "next" is not allowed on a livechat card (it takes online_message, wait, offline_message, offline, group)`,
		`38:3: warning: card loop1: unreachable: no card leads here`,
		`39:3: warning: card loop2: unreachable: no card leads here`,
		`39:46: card loop2: next: this loop never waits for the visitor: loop1 → loop2 → loop1; put a question or form in it`,
		`40:3: warning: card cap: unreachable: no card leads here`,
		`42:13: card cap: create: create is lead or deal, not "opportunity"`,
		`43:13: card cap: value: must give a number, but it gives string`,
		`44:23: card cap: activity.type: activity type is call, meeting, task or email, not "cal" (did you mean "call"?)`,
		`44:34: card cap: activity.due: due is a delay from now such as +1d, +2h or +30m, not "tomorrow"`,
		`45:3: warning: card form: unreachable: no card leads here`,
		`47:13: card form: fields: a form has 1 to 8 fields, this one has 0`,
		`48:3: warning: card done: unreachable: no card leads here`,
		`51:14: card done: restart: must be true or false, got "maybe"`,
	}
	got := strings.Split(probs.Error(), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(probs.Errors()); n != len(want)-7 {
		t.Errorf("%d errors, want %d (the 7 unreachable cards are warnings)", n, len(want)-7)
	}
}

func TestSamplesValidate(t *testing.T) {
	for _, name := range samples {
		data, err := os.ReadFile(samplePath(name))
		if err != nil {
			t.Fatal(err)
		}
		if _, probs := Load(data); len(probs) > 0 {
			t.Errorf("%s: %v", name, probs)
		}
	}
}

// minimal wraps cards into a valid document header.
func minimal(cards string) string {
	return "id: t\nname: T\nfields: {team_size: number, ok: bool, day: date}\nstart: a\ncards:\n" + cards
}

func TestValidateCases(t *testing.T) {
	long := strings.Repeat("x", MaxTextSize+1)
	var many strings.Builder
	for i := range MaxCards + 1 {
		fmt.Fprintf(&many, "  c%d: {type: end}\n", i)
	}
	tests := []struct {
		name, doc, want string
	}{
		{"ok", minimal("  a: {type: end}\n"), ""},
		{"missing start", "id: t\nname: T\nstart: b\ncards:\n  a: {type: end}\n", `3:8: start: unknown card "b"`},
		{"no default", minimal("  a:\n    type: message\n    text: hi\n    next:\n      - if: 'true'\n        goto: b\n  b: {type: end}\n"),
			"10:14: card a: next[0].if: the last branch must be the default"},
		{"default not last", minimal("  a:\n    type: message\n    text: hi\n    next:\n      - goto: b\n      - goto: b\n  b: {type: end}\n"),
			"10:9: card a: next[0]: only the last branch can go without if"},
		{"if not bool", minimal("  a:\n    type: message\n    text: hi\n    next:\n      - if: 'field.team_size'\n        goto: b\n      - goto: b\n  b: {type: end}\n"),
			"10:14: card a: next[0].if: must be true or false, but it gives float64"},
		{"syntax error", minimal("  a:\n    type: message\n    text: hi\n    next:\n      - if: 'field.team_size >'\n        goto: b\n      - goto: b\n  b: {type: end}\n"),
			"10:30: card a: next[0].if: unexpected token EOF"},
		{"unknown answer", minimal("  a:\n    type: message\n    text: 'x {{ answers.nope }}'\n  b: {type: end}\n"),
			"8:25: card a: text: unknown field nope"},
		{"neither options nor input", minimal("  a: {type: question, text: hi}\n"), "6:3: card a: a question needs options (buttons) or an input"},
		{"too many options", minimal("  a:\n    type: question\n    text: hi\n    options: [" + strings.Repeat("{label: x}, ", 0) +
			"{label: a},{label: b},{label: c},{label: d},{label: e},{label: f},{label: g},{label: h},{label: i},{label: j},{label: k}]\n"),
			"9:14: card a: options: a question has 1 to 10 options, this one has 11"},
		{"unknown input", minimal("  a: {type: question, text: hi, input: mail}\n"), `6:40: card a: input: unknown input "mail" (did you mean "email"?)`},
		{"save needs input", minimal("  a: {type: question, text: hi, input: text, save: person.email}\n"), "6:52: card a: save: person.email needs input: email, not text"},
		{"number field from options", minimal("  a: {type: question, text: hi, save: field.team_size, options: [{label: big, value: many}]}\n"),
			"6:86: card a: options[0].value: many cannot be saved into field.team_size"},
		{"bad save target", minimal("  a: {type: question, text: hi, input: text, save: person.age}\n"), `6:52: card a: save: unknown save target "person.age"`},
		{"form fields", minimal("  a:\n    type: form\n    fields:\n      - {label: A, input: name}\n" + strings.Repeat("      - {save: person.name, label: B}\n", 1)),
			"9:9: card a: fields[0]: a form field needs save"},
		{"wait format", minimal("  a: {type: livechat, wait: soon}\n"), `6:29: card a: wait: "soon" is not a duration such as 45s, 2m or 1h`},
		{"wait too long", minimal("  a: {type: livechat, wait: 31m}\n"), "6:29: card a: wait: 31m is outside 5s to 30m"},
		{"livechat offline loop", minimal("  a: {type: livechat, offline: b}\n  b: {type: message, text: x, next: a}\n"), "card b: next: this loop never waits for the visitor: a → b → a"},
		{"question breaks loop", minimal("  a: {type: message, text: x, next: b}\n  b: {type: question, text: q, input: text, next: a}\n"), ""},
		{"text too long", minimal("  a: {type: message, text: " + long + "}\n"), "card a: text: the text is 4097 bytes, more than the limit of 4096"},
		{"too many cards", "id: t\nname: T\nstart: c0\ncards:\n" + many.String(), "5:3: cards: 501 cards is more than the limit of 500"},
		{"card id slug", minimal("  a: {type: end}\n  B!: {type: end}\n"), "7:3: card B!: card ids are 1 to 64"},
		{"unknown type", minimal("  a: {type: mesage}\n"), `6:13: card a: type: unknown card type "mesage" (did you mean "message"?)`},
		{"wrong type", minimal("  a: {type: message, text: [a]}\n"), "6:28: card a: text: must be a text or a map of language to text, got a list"},
		{"bad language", minimal("  a: {type: message, text: {english: hi}}\n"), `card a: text.english: "english" is not a language code`},
		{"unclosed template", minimal("  a: {type: message, text: 'hi {{ person.name'}\n"), "6:32: card a: text: {{ is not closed with }}"},
		{"trigger", "id: t\nname: T\ntrigger: {on: hover, when: 'visitor.visits'}\nstart: a\ncards:\n  a: {type: end}\n",
			`3:15: trigger.on: unknown trigger "hover"; use open, load or delay` + "\n" + `3:29: trigger.when: must be true or false, but it gives int`},
		{"owner", minimal("  a: {type: capture, owner: bob}\n"), `6:29: card a: owner: owner is a user's email, round_robin or assignee, not "bob"`},
		{"duplicate key", minimal("  a: {type: end, text: a, text: b}\n"), "6:27: card a: text: duplicate key"},
		{"json syntax", `{"id": "t", "name": }`, "1:21: invalid JSON: invalid character '}' looking for beginning of value"},
		{"json problems", "{\n  \"id\": \"t\",\n  \"name\": \"T\",\n  \"start\": \"x\",\n  \"cards\": {\"a\": {\"type\": \"end\", \"txt\": \"x\"}}\n}",
			"4:13: start: unknown card \"x\" (did you mean \"a\"?)\n5:34: card a: unknown key \"txt\" (did you mean \"text\"?)"},
		{"yaml syntax", "id: t\ncards: [\n", "invalid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := Load([]byte(tt.doc))
			got := probs.Errors().Error()
			if tt.want == "" {
				if got != "" {
					t.Fatalf("unexpected problems:\n%s", got)
				}
				return
			}
			if !strings.Contains(got, tt.want) {
				t.Fatalf("problems:\n%s\nwant them to contain:\n%s", got, tt.want)
			}
		})
	}
}

func TestUnreachableIsAWarning(t *testing.T) {
	p, probs := Load([]byte(minimal("  a: {type: end}\n  lost: {type: end}\n")))
	if p == nil {
		t.Fatalf("a warning must not reject the document: %v", probs)
	}
	if len(probs) != 1 || !probs[0].Warning || probs[0].String() != "7:3: warning: card lost: unreachable: no card leads here" {
		t.Fatalf("problems = %v", probs)
	}
}
