package playbook

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden transcripts")

func opt(i int) *int { return &i }

func answer(card string, v string) Event { return Event{Kind: EventAnswer, Card: card, Value: v} }
func choose(card string, i int) Event    { return Event{Kind: EventAnswer, Card: card, Option: opt(i)} }
func field(card string, f int, v string) Event {
	return Event{Kind: EventAnswer, Card: card, Field: f, Value: v}
}

var (
	start   = Event{Kind: EventStart}
	nobody  = Env{Now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	someone = Env{Now: nobody.Now, AgentsOnline: 2}
)

type script struct {
	name   string
	env    Env
	events []Event
}

var scripts = map[string][]script{
	"qualifier": {
		{"big team asks for a demo, nobody claims", someone, []Event{
			start, choose("intent", 0), answer("size", "twelve"), answer("size", "12"),
			answer("email", "Ann@Example.COM"), {Kind: EventLiveChatOffline},
		}},
		{"small team compares plans", nobody, []Event{
			start, choose("intent", 1), answer("size", "3,5"), answer("email", "not an email"), answer("email", "bob@example.org"),
		}},
		{"just looking", nobody, []Event{start, answer("intent", "just looking")}},
		{"big team, demo, nobody online skips live chat", nobody, []Event{
			start, choose("intent", 0), answer("size", "40"), answer("email", "c@d.io"),
		}},
	},
	"faq": {
		{"offline: leave an email, then restart", nobody, []Event{
			start, choose("ask", 2), answer("leave_email", "nope"), answer("leave_email", "me@shop.example"),
			{Kind: EventRestart}, choose("ask", 2), answer("leave_email", "me@shop.example"),
		}},
		{"french visitor asks about shipping", Env{Visitor: Visitor{Language: "fr-CA"}}, []Event{
			start, choose("ask", 0), choose("shipping", 0),
		}},
		{"an agent claims the chat", someone, []Event{start, choose("ask", 2), {Kind: EventLiveChatClaimed}}},
	},
	"live-chat": {
		{"form, agent claims", someone, []Event{
			start, field("contact", 0, "Ann Lee"), field("contact", 1, "ann@lee.io"), field("contact", 2, ""),
			{Kind: EventLiveChatClaimed},
		}},
		{"form edited, nobody online", nobody, []Event{
			start, field("contact", 0, "Ann"), field("contact", 1, "ann@"), field("contact", 1, "ann@lee.io"),
			{Kind: EventEditField, Card: "contact", Field: 0}, field("contact", 0, "Ann <b>Lee</b>"), field("contact", 0, "Ann *Lee*"),
			field("contact", 2, "Lee & <Co>"), {Kind: EventLiveChatOffline},
		}},
	},
}

// transcript runs a script and writes one line per event and effect. With
// roundTrip the state goes through JSON between steps, as it does when the
// runtime stores it.
func transcript(t *testing.T, p *Program, s script, roundTrip bool) string {
	var b bytes.Buffer
	var st State
	for _, ev := range s.events {
		line, _ := json.Marshal(ev)
		fmt.Fprintf(&b, "> %s\n", line)
		next, effects, err := p.Step(st, ev, s.env)
		if err != nil {
			fmt.Fprintf(&b, "! %v\n", err)
			if !reflect.DeepEqual(next, st) {
				t.Errorf("%s: state changed on error %v", s.name, err)
			}
		}
		for _, e := range effects {
			line, _ := json.Marshal(e)
			fmt.Fprintf(&b, "< %s %s\n", e.Kind(), line)
		}
		st = next
		if roundTrip {
			data, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			st = State{}
			if err := json.Unmarshal(data, &st); err != nil {
				t.Fatal(err)
			}
		}
	}
	line, _ := json.Marshal(st)
	fmt.Fprintf(&b, "= %s\n", line)
	return b.String()
}

func TestGoldenTranscripts(t *testing.T) {
	for _, name := range samples {
		t.Run(name, func(t *testing.T) {
			p := loadSample(t, name)
			var all bytes.Buffer
			for _, s := range scripts[name] {
				got := transcript(t, p, s, false)
				if again := transcript(t, p, s, true); again != got {
					t.Errorf("%s: the transcript differs when the state goes through JSON between steps:\n%s\nvs\n%s", s.name, got, again)
				}
				fmt.Fprintf(&all, "## %s\n%s\n", s.name, got)
			}
			path := "testdata/" + name + ".golden"
			if *update {
				if err := os.WriteFile(path, all.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(all.Bytes(), want) {
				t.Errorf("transcript differs from %s (go test -update to accept):\n%s", path, all.String())
			}
		})
	}
}
