package playbook

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// steps runs events from a fresh state and returns the final state and all
// effects; an error fails the test.
func steps(t *testing.T, p *Program, env Env, events ...Event) (State, []Effect) {
	t.Helper()
	var st State
	var all []Effect
	for _, ev := range events {
		next, effects, err := p.Step(st, ev, env)
		if err != nil {
			t.Fatalf("%+v: %v", ev, err)
		}
		st, all = next, append(all, effects...)
	}
	return st, all
}

// kinds summarizes effects as "kind:card" for compact assertions.
func kinds(effects []Effect) string {
	var parts []string
	for _, e := range effects {
		card := reflect.ValueOf(e).FieldByName("Card").String()
		parts = append(parts, e.Kind()+":"+card)
	}
	return strings.Join(parts, " ")
}

func find[T Effect](effects []Effect) (T, bool) {
	for _, e := range effects {
		if v, ok := e.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

func TestCardTypes(t *testing.T) {
	tests := []struct {
		name   string
		cards  string
		env    Env
		events []Event
		want   string // effect kinds
		check  func(t *testing.T, st State, effects []Effect)
	}{
		{"message then end", "  a: {type: message, text: hi, next: b}\n  b: {type: end, text: bye, restart: false}\n", nobody,
			[]Event{start}, "bot_message:a end:b", func(t *testing.T, st State, eff []Effect) {
				if e, _ := find[End](eff); e.Restart || e.Text != "bye" || !st.Done {
					t.Errorf("end = %+v, done = %v", e, st.Done)
				}
			}},
		{"card without next ends the flow", "  a: {type: message, text: hi}\n", nobody, []Event{start}, "bot_message:a",
			func(t *testing.T, st State, _ []Effect) {
				if st.Card != "" || st.Wait != WaitNone {
					t.Errorf("state waits: %+v", st)
				}
			}},
		{"question with options; option next overrides card next",
			"  a: {type: question, text: q, options: [{label: A, value: 1}, {label: B, next: c}], next: b}\n  b: {type: end, text: b}\n  c: {type: end, text: c}\n",
			nobody, []Event{start, choose("a", 1)}, "question:a end:c", func(t *testing.T, st State, _ []Effect) {
				if st.Answers["a"] != "B" {
					t.Errorf("answers.a = %v, want the label", st.Answers["a"])
				}
			}},
		{"option value is typed and saved", "  a: {type: question, text: q, options: [{label: A, value: 12}], save: field.team_size, next: b}\n  b: {type: end}\n",
			nobody, []Event{start, answer("a", "a")}, "question:a end:b", func(t *testing.T, st State, _ []Effect) {
				if st.Fields["team_size"] != 12.0 || st.Answers["a"] != 12.0 {
					t.Errorf("fields = %v, answers = %v", st.Fields, st.Answers)
				}
			}},
		{"typed label that matches nothing", "  a: {type: question, text: q, options: [{label: A}]}\n", nobody,
			[]Event{start, answer("a", "C")}, "question:a invalid:a question:a", nil},
		{"optional input skipped", "  a: {type: question, text: q, input: email, save: person.email, required: false, next: b}\n  b: {type: end}\n",
			nobody, []Event{start, answer("a", "  ")}, "question:a end:b", func(t *testing.T, st State, _ []Effect) {
				if _, ok := st.Answers["a"]; ok || st.Person["email"] != "" {
					t.Errorf("a skipped answer was stored: %+v", st)
				}
			}},
		{"required input refuses empty", "  a: {type: question, text: q, input: text}\n", nobody,
			[]Event{start, answer("a", "")}, "question:a invalid:a question:a", func(t *testing.T, _ State, eff []Effect) {
				if inv, _ := find[Invalid](eff); inv.Text != "Please answer this one." {
					t.Errorf("invalid text = %q", inv.Text)
				}
			}},
		{"invalid answer uses the card's text", "  a: {type: question, text: q, input: phone, invalid: 'Digits please'}\n", nobody,
			[]Event{start, answer("a", "call me")}, "question:a invalid:a question:a", func(t *testing.T, st State, eff []Effect) {
				if inv, _ := find[Invalid](eff); inv.Text != "Digits please" || st.Retries != 1 || st.Answers != nil {
					t.Errorf("invalid = %+v, state = %+v", inv, st)
				}
			}},
		{"free text answers a text input", "  a: {type: question, text: q, input: number, save: field.team_size, next: b}\n  b: {type: end}\n", nobody,
			[]Event{start, {Kind: EventMessage, Value: "12,5"}}, "question:a end:b", func(t *testing.T, st State, _ []Effect) {
				if st.Fields["team_size"] != 12.5 {
					t.Errorf("team_size = %v", st.Fields["team_size"])
				}
			}},
		{"free text with buttons waiting is not an answer", "  a: {type: question, text: q, options: [{label: A}]}\n", nobody,
			[]Event{start, {Kind: EventMessage, Value: "A"}}, "question:a", func(t *testing.T, st State, _ []Effect) {
				if st.Card != "a" || st.Answers != nil {
					t.Errorf("state = %+v", st)
				}
			}},
		{"form asks field by field", "  a: {type: form, text: hi, fields: [{save: person.name, label: Name, input: name}, {save: person.phone, label: Phone, input: phone, required: false}], next: b}\n  b: {type: end}\n",
			nobody, []Event{start, field("a", 0, " Ann   Lee "), field("a", 1, "+33 (0)6 12-34-56-78")}, "bot_message:a question:a question:a end:b",
			func(t *testing.T, st State, _ []Effect) {
				if st.Person["name"] != "Ann Lee" || st.Person["phone"] != "+330612345678" {
					t.Errorf("person = %v", st.Person)
				}
			}},
		{"livechat with nobody online goes offline at once", "  a: {type: livechat, offline: b}\n  b: {type: end}\n", nobody,
			[]Event{start}, "offline:a end:b", func(t *testing.T, st State, eff []Effect) {
				if o, _ := find[OfflineNotice](eff); o.Text != "Nobody is available right now." || st.LiveChat != LiveChatOffline {
					t.Errorf("offline = %+v, state = %+v", o, st)
				}
			}},
		{"livechat counts the card's group", "  a: {type: livechat, group: sales, wait: 2m, online_message: 'hold on'}\n", Env{AgentsOnline: 3, GroupsOnline: map[string]int{"sales": 1}},
			[]Event{start}, "waiting:a", func(t *testing.T, st State, eff []Effect) {
				r, _ := find[RequestLiveChat](eff)
				if r.Group != "sales" || r.Wait.String() != "2m0s" || r.OnlineMessage != "hold on" || st.Wait != WaitLiveChat {
					t.Errorf("request = %+v, state = %+v", r, st)
				}
			}},
		{"livechat group with nobody online", "  a: {type: livechat, group: sales}\n", Env{AgentsOnline: 3},
			[]Event{start}, "offline:a", nil},
		{"livechat claimed ends the bot part", "  a: {type: livechat, offline: b}\n  b: {type: end}\n", someone,
			[]Event{start, {Kind: EventLiveChatClaimed}}, "waiting:a", func(t *testing.T, st State, _ []Effect) {
				if st.LiveChat != LiveChatClaimed || st.Wait != WaitNone {
					t.Errorf("state = %+v", st)
				}
			}},
		{"livechat deadline runs the offline branch", "  a: {type: livechat, offline: b, offline_message: {en: late, fr: tard}}\n  b: {type: end}\n", someone,
			[]Event{start, {Kind: EventLiveChatOffline}}, "waiting:a offline:a end:b", nil},
		{"capture resolves everything", `  a: {type: form, fields: [{save: person.name, label: N}, {save: deal.value, label: V, input: number}, {save: deal.expected_close_date, label: D, input: date}], next: c}
  c:
    type: capture
    create: deal
    qualified: false
    title: '{{ person.name }} deal'
    note: 'Team: {{ field.team_size ?? "unknown" }}'
    owner: ann@example.com
    pipeline: Sales
    activity: {type: meeting, subject: 'Meet {{ person.name }}', due: +2h}
`, nobody, []Event{start, field("a", 0, "Ann"), field("a", 1, "1 000,50"), field("a", 2, "31/12/2026")}, "question:a question:a question:a captured:c",
			func(t *testing.T, st State, eff []Effect) {
				c, _ := find[Capture](eff)
				want := Capture{Card: "c", Create: "deal", Title: "Ann deal", Value: c.Value, Owner: "ann@example.com", Pipeline: "Sales",
					Labels: []string{"unqualified"}, Note: "Team: unknown", Activity: &CaptureActivity{Type: "meeting", Subject: "Meet Ann", Due: 2 * 3600e9},
					Person: Contact{Name: "Ann"}, Deal: c.Deal}
				if !reflect.DeepEqual(c, want) || c.Value == nil || *c.Value != 1000.5 || c.Deal.ExpectedCloseDate != "2026-12-31" {
					t.Errorf("capture = %+v\nwant %+v", c, want)
				}
			}},
		{"capture value failing at run time is logged", "  a: {type: capture, value: 'field.team_size * 2', next: b}\n  b: {type: end}\n", nobody,
			[]Event{start}, "log:a captured:a end:b", func(t *testing.T, _ State, eff []Effect) {
				c, _ := find[Capture](eff)
				l, _ := find[Log](eff)
				if c.Value != nil || !c.DefaultNote || c.Title != "Visitor – T" || !strings.Contains(l.Message, "value") {
					t.Errorf("capture = %+v, log = %+v", c, l)
				}
			}},
		{"capture runs once per conversation", "  a: {type: capture, next: b}\n  b: {type: end}\n", nobody,
			[]Event{start, {Kind: EventRestart}}, "captured:a end:b end:b", func(t *testing.T, st State, _ []Effect) {
				if !reflect.DeepEqual(st.Captured, []string{"a"}) {
					t.Errorf("captured = %v", st.Captured)
				}
			}},
		{"restart clears answers", "  a: {type: question, text: q, input: text, next: b}\n  b: {type: end}\n", nobody,
			[]Event{start, answer("a", "x"), {Kind: EventRestart}}, "question:a end:b question:a", func(t *testing.T, st State, _ []Effect) {
				if st.Answers != nil || st.Done || st.Card != "a" {
					t.Errorf("state = %+v", st)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, minimal(tt.cards))
			st, effects := steps(t, p, tt.env, tt.events...)
			if got := kinds(effects); got != tt.want {
				t.Errorf("effects = %s\nwant      %s", got, tt.want)
			}
			if tt.check != nil {
				tt.check(t, st, effects)
			}
		})
	}
}

func TestGuardedBranches(t *testing.T) {
	p := mustLoad(t, minimal(`  a:
    type: question
    text: size?
    input: number
    save: field.team_size
    next:
      - if: 'field.team_size >= 100'
        goto: huge
      - if: 'field.team_size >= 10 && agents_online > 0'
        goto: big
      - if: 'field.team_size * 2 > 1000 || field.team_size < 0'
        goto: odd
      - goto: small
  huge: {type: end, text: huge}
  big: {type: end, text: big}
  odd: {type: end, text: odd}
  small: {type: end, text: small}
`))
	tests := []struct {
		answer string
		env    Env
		want   string
	}{
		{"150", nobody, "huge"}, // first true branch wins, even if a later one is true too
		{"20", someone, "big"},
		{"20", nobody, "small"},
		{"-3", nobody, "odd"},
		{"5", nobody, "small"},
	}
	for _, tt := range tests {
		_, eff := steps(t, p, tt.env, start, answer("a", tt.answer))
		if e, _ := find[End](eff); e.Text != tt.want {
			t.Errorf("%s (agents %d): ended at %q, want %q", tt.answer, tt.env.AgentsOnline, e.Text, tt.want)
		}
	}
}

func TestRunTimeFailureTakesTheDefault(t *testing.T) {
	p := mustLoad(t, minimal(`  a:
    type: message
    text: 'hi {{ person.name + "!" }}'
    next:
      - if: 'field.team_size * 2 > 10'
        goto: big
      - goto: fallback
  big: {type: end}
  fallback: {type: end}
`))
	_, eff := steps(t, p, nobody, start)
	if got := kinds(eff); got != "log:a bot_message:a log:a end:fallback" {
		t.Fatalf("effects = %s", got)
	}
	if m, _ := find[Message](eff); m.Text != "hi " {
		t.Errorf("a failing template part renders as nothing: %q", m.Text)
	}
}

func TestNilComparisonsAreFalse(t *testing.T) {
	exprs := map[string]bool{
		"field.team_size >= 10":                 false,
		"field.team_size < 10":                  false,
		"!(field.team_size < 10)":               true,
		"field.team_size == nil":                true,
		"person.name == 'Ann'":                  false,
		"person.name != 'Ann'":                  true,
		"field.team_size == 3":                  false,
		"answers.q == nil":                      true,
		"(person.name ?? 'there') == 'there'":   true,
		"person.email contains '@'":             false,
		"person.email startsWith 'a'":           false,
		"answers.q > 3":                         false,
		"10 <= field.team_size":                 false,
		"len(organization.name ?? '') == 0":     true,
		"deal.value > 0 || visitor.visits == 0": true,
	}
	for src, want := range exprs {
		p := mustLoad(t, minimal(fmt.Sprintf("  a:\n    type: message\n    text: x\n    next:\n      - if: %q\n        goto: yes\n      - goto: no\n  yes: {type: end, text: yes}\n  no: {type: end, text: no}\n  q: {type: question, text: q, input: text}\n", src)))
		_, eff := steps(t, p, nobody, start)
		if _, failed := find[Log](eff); failed {
			t.Errorf("%s: failed at run time: %v", src, eff)
		}
		if e, _ := find[End](eff); (e.Text == "yes") != want {
			t.Errorf("%s = %v, want %v", src, e.Text == "yes", want)
		}
	}
}

func TestTranslations(t *testing.T) {
	p := mustLoad(t, `id: t
name: T
language: fr
start: a
cards:
  a: {type: message, text: {en: Hello, fr: Bonjour, pt: Olá, pt-PT: Olá (PT)}, next: b}
  b: {type: question, text: plain, input: email}
`)
	tests := []struct{ lang, want, invalid string }{
		{"pt-PT", "Olá (PT)", "Esse e-mail não parece válido. Pode verificar?"},
		{"pt-BR", "Olá", "Esse e-mail não parece válido. Pode verificar?"},
		{"EN-us", "Hello", "That doesn't look like an email address. Could you check it?"},
		{"de", "Bonjour", "Cette adresse e-mail ne semble pas valide. Pouvez-vous vérifier ?"},
		{"", "Bonjour", "Cette adresse e-mail ne semble pas valide. Pouvez-vous vérifier ?"},
	}
	for _, tt := range tests {
		env := Env{Visitor: Visitor{Language: tt.lang}}
		_, eff := steps(t, p, env, start, answer("b", "x"))
		m, _ := find[Message](eff)
		inv, _ := find[Invalid](eff)
		if m.Text != tt.want || inv.Text != tt.invalid {
			t.Errorf("%q: text %q, invalid %q; want %q, %q", tt.lang, m.Text, inv.Text, tt.want, tt.invalid)
		}
	}
}

func TestTemplatesEscapeValues(t *testing.T) {
	p := mustLoad(t, minimal(`  a:
    type: question
    text: 'Your name?'
    input: text
    save: person.name
    next: b
  b:
    type: message
    text: '**Hi {{ person.name }}**, see [our plans](https://a.example/?q=1&r=2) or [this](javascript:alert(1))'
`))
	_, eff := steps(t, p, nobody, start, answer("a", `<img src=x onerror=alert(1)> **[x](https://evil.example)**`))
	m, _ := find[Message](eff)
	wantHTML := `<strong>Hi &lt;img src=x onerror=alert(1)&gt; **[x](https://evil.example)**</strong>, see ` +
		`<a href="https://a.example/?q=1&amp;r=2" target="_blank" rel="noopener nofollow">our plans</a> or [this](javascript:alert(1))`
	if m.HTML != wantHTML {
		t.Errorf("html:\n%s\nwant\n%s", m.HTML, wantHTML)
	}
	if !strings.HasPrefix(m.Text, "**Hi <img src=x onerror=alert(1)> **[x]") {
		t.Errorf("text = %q", m.Text)
	}
}

func TestErrorsLeaveStateUnchanged(t *testing.T) {
	p := mustLoad(t, minimal("  a: {type: question, text: q, options: [{label: A}], next: b}\n  b: {type: form, fields: [{save: person.name, label: N}]}\n"))
	st, _ := steps(t, p, nobody, start)
	tests := []struct {
		ev   Event
		want error
	}{
		{start, ErrStarted},
		{choose("b", 0), ErrNotWaiting},
		{choose("a", 3), ErrBadOption},
		{Event{Kind: EventLiveChatClaimed}, ErrNotWaiting},
		{Event{Kind: EventLiveChatOffline}, ErrNotWaiting},
		{Event{Kind: EventEditField, Card: "b"}, ErrNotWaiting},
		{Event{Kind: "dance"}, ErrUnknownEvent},
	}
	before, _ := json.Marshal(st)
	for _, tt := range tests {
		got, eff, err := p.Step(st, tt.ev, nobody)
		if !errors.Is(err, tt.want) || eff != nil || !reflect.DeepEqual(got, st) {
			t.Errorf("%+v: err %v, effects %v; want %v and no change", tt.ev, err, eff, tt.want)
		}
	}
	if _, _, err := p.Step(State{}, answer("a", "A"), nobody); !errors.Is(err, ErrNotWaiting) {
		t.Errorf("answer before start: %v", err)
	}
	// Step must not write into the state it was given.
	p.Step(st, choose("a", 0), nobody)
	if after, _ := json.Marshal(st); string(after) != string(before) {
		t.Errorf("Step mutated its input:\n%s\n%s", before, after)
	}
}

// TestOptionOnTypedInputIsRefused: a button index means nothing for a typed
// question or a form field; taken as an empty value it would skip an
// optional field (or store nothing under a made-up option), so it is refused.
func TestOptionOnTypedInputIsRefused(t *testing.T) {
	p := mustLoad(t, minimal("  a: {type: question, text: q, input: text, required: false, next: b}\n"+
		"  b: {type: form, fields: [{save: person.name, label: N, required: false}, {save: person.email, label: E, input: email}], next: c}\n"+
		"  c: {type: end}\n"))
	st, _ := steps(t, p, nobody, start)
	for _, ev := range []Event{choose("a", 0), choose("a", 3)} {
		got, eff, err := p.Step(st, ev, nobody)
		if !errors.Is(err, ErrBadOption) || eff != nil || !reflect.DeepEqual(got, st) {
			t.Errorf("question %+v: err %v, effects %v; want ErrBadOption and no change", ev, err, eff)
		}
	}
	st, _ = steps(t, p, nobody, start, answer("a", "x"))
	for _, ev := range []Event{{Kind: EventAnswer, Card: "b", Field: 0, Option: opt(3)}, {Kind: EventAnswer, Card: "b", Field: 0, Option: opt(0), Value: "Ann"}} {
		got, eff, err := p.Step(st, ev, nobody)
		if !errors.Is(err, ErrBadOption) || eff != nil || !reflect.DeepEqual(got, st) {
			t.Errorf("form field %+v: err %v, effects %v; want ErrBadOption and no change", ev, err, eff)
		}
	}
	// The field still waits and takes a typed value.
	if _, _, err := p.Step(st, field("b", 0, "Ann"), nobody); err != nil {
		t.Errorf("typed answer after the refusal: %v", err)
	}
}

func TestEditFieldReturnsWhereItWas(t *testing.T) {
	p := mustLoad(t, minimal("  a: {type: form, fields: [{save: person.name, label: N}, {save: person.email, label: E, input: email}], next: b}\n  b: {type: question, text: 'more?', input: text}\n"))
	st, eff := steps(t, p, nobody, start, field("a", 0, "Ann"), field("a", 1, "a@b.co"),
		Event{Kind: EventEditField, Card: "a", Field: 1}, field("a", 1, "ann@b.co"))
	if st.Person["email"] != "ann@b.co" || st.Card != "b" || st.Resume != nil {
		t.Fatalf("state = %+v", st)
	}
	if got := kinds(eff); got != "question:a question:a question:b question:a question:b" {
		t.Errorf("effects = %s", got)
	}
	if a := eff[3].(Ask); a.Field != 1 || a.Value != "a@b.co" {
		t.Errorf("edit asks %+v, want field 1 with the current value", a)
	}
}

func TestCardGuard(t *testing.T) {
	var b strings.Builder
	for i := range MaxCardsPerInput + 5 {
		fmt.Fprintf(&b, "  c%d: {type: message, text: m%d, next: c%d}\n", i, i, i+1)
	}
	fmt.Fprintf(&b, "  c%d: {type: end}\n", MaxCardsPerInput+5)
	doc := strings.Replace(minimal(b.String()), "start: a", "start: c0", 1)
	p := mustLoad(t, doc)
	st, eff := steps(t, p, nobody, start)
	l, ok := find[Log](eff)
	if !ok || len(eff) != MaxCardsPerInput+1 || !st.Done || !strings.Contains(l.Message, "100 cards") {
		t.Fatalf("%d effects, log %+v, done %v", len(eff), l, st.Done)
	}
}
