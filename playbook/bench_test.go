package playbook

import "testing"

// BenchmarkStep measures one card transition: an answer that is checked,
// saved, and sent through guarded branches (compiled expressions) to the
// next question.
func BenchmarkStep(b *testing.B) {
	p := loadSample(b, "qualifier")
	env := someone
	st, _, err := p.Step(State{}, start, env)
	if err != nil {
		b.Fatal(err)
	}
	st, _, err = p.Step(st, choose("intent", 0), env)
	if err != nil {
		b.Fatal(err)
	}
	ev := answer("size", "12")
	b.ReportAllocs()
	for b.Loop() {
		next, effects, err := p.Step(st, ev, env)
		if err != nil || next.Card != "email" || len(effects) != 1 {
			b.Fatalf("%v %+v %v", err, next, effects)
		}
	}
}

// BenchmarkStepThroughCards measures a step that runs several cards: the
// email answer evaluates two guarded branches and a capture with a
// computed value and three templates, then the end card.
func BenchmarkStepThroughCards(b *testing.B) {
	p := loadSample(b, "qualifier")
	env := nobody
	var st State
	for _, ev := range []Event{start, choose("intent", 0), answer("size", "12")} {
		st, _, _ = p.Step(st, ev, env)
	}
	ev := answer("email", "ann@example.com")
	b.ReportAllocs()
	for b.Loop() {
		next, _, err := p.Step(st, ev, env)
		if err != nil || !next.Done {
			b.Fatal(err)
		}
	}
}
