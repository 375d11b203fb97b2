package playbook

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// runner carries one Step: the state being built, the effects so far and
// the expression variables, rebuilt lazily after each save.
type runner struct {
	p     *Program
	st    *State
	env   *Env
	vars  map[string]any
	out   []Effect
	cards int
	cur   string // the card being run, for logs
}

func (p *Program) step(in State, ev Event, env Env) (State, []Effect, error) {
	st := in.clone()
	r := &runner{p: p, st: &st, env: &env}
	var err error
	switch ev.Kind {
	case EventStart:
		if in.Started {
			return in, nil, ErrStarted
		}
		st.Started = true
		st.Language = pickLang(env.Visitor.Language, p.langs, p.lang)
		r.run(p.start)
	case EventRestart:
		lang := in.Language
		if !in.Started {
			lang = pickLang(env.Visitor.Language, p.langs, p.lang)
		}
		st = State{Started: true, Language: lang, Captured: st.Captured}
		r.run(p.start)
	case EventAnswer:
		err = r.answer(ev)
	case EventMessage:
		if n := r.waitingInput(); n != nil {
			ev.Card, ev.Field, ev.Option = st.Card, st.Field, nil
			err = r.answer(ev)
		}
	case EventLiveChatClaimed:
		if in.Wait != WaitLiveChat {
			return in, nil, ErrNotWaiting
		}
		st.LiveChat, st.Wait, st.Card = LiveChatClaimed, WaitNone, ""
	case EventLiveChatOffline:
		if in.Wait != WaitLiveChat {
			return in, nil, ErrNotWaiting
		}
		r.run(r.offline(p.cards[in.Card]))
	case EventEditField:
		err = r.edit(ev)
	default:
		err = ErrUnknownEvent
	}
	if err != nil {
		return in, nil, err
	}
	return st, r.out, nil
}

// clone deep-copies the state so that Step never writes into its input.
func (s State) clone() State {
	c := s
	c.Answers = maps.Clone(s.Answers)
	for k, v := range c.Answers {
		if m, ok := v.(map[string]any); ok {
			c.Answers[k] = maps.Clone(m)
		}
	}
	c.Person = maps.Clone(s.Person)
	c.Organization = maps.Clone(s.Organization)
	c.Fields = maps.Clone(s.Fields)
	c.Captured = slices.Clone(s.Captured)
	if s.Resume != nil {
		r := *s.Resume
		c.Resume = &r
	}
	return c
}

// waitingInput is the card waiting for a typed answer, if any.
func (r *runner) waitingInput() *node {
	if r.st.Wait != WaitAnswer {
		return nil
	}
	n := r.p.cards[r.st.Card]
	if n == nil || (n.card.Type == CardQuestion && n.options != nil) {
		return nil
	}
	return n
}

// run runs cards from n until one waits for the visitor or the flow ends.
func (r *runner) run(n *node) {
	for n != nil {
		r.st.Card, r.st.Field, r.st.Wait, r.st.Retries = "", 0, WaitNone, 0
		if r.cards == MaxCardsPerInput {
			r.log(n.id, fmt.Sprintf("stopped: %d cards ran without an answer from the visitor", MaxCardsPerInput))
			r.st.Done = true
			return
		}
		r.cards++
		r.cur = n.id
		n = r.card(n)
	}
}

// card runs one card and returns the card to run next, nil to stop.
func (r *runner) card(n *node) *node {
	switch n.card.Type {
	case CardMessage:
		r.message(n, n.text)
		return r.follow(n, n.next)
	case CardQuestion:
		r.wait(n, 0)
		r.ask(n, -1)
	case CardForm:
		r.message(n, n.text)
		if len(n.fields) == 0 {
			return r.follow(n, n.next)
		}
		r.wait(n, 0)
		r.ask(n, 0)
	case CardLiveChat:
		if r.agents(n) == 0 {
			return r.offline(n)
		}
		text, html := r.render(n, n.online, "online")
		r.out = append(r.out, RequestLiveChat{Card: n.id, Wait: n.wait, Group: n.card.Group, OnlineMessage: text, OnlineHTML: html})
		r.st.Card, r.st.Wait, r.st.LiveChat = n.id, WaitLiveChat, LiveChatWaiting
	case CardCapture:
		if !slices.Contains(r.st.Captured, n.id) {
			r.message(n, n.text)
			r.out = append(r.out, r.capture(n))
			r.st.Captured = append(r.st.Captured, n.id)
		}
		return r.follow(n, n.next)
	case CardEnd:
		text, html := r.render(n, n.text, "")
		r.out = append(r.out, End{Card: n.id, Text: text, HTML: html, Restart: n.restart})
		r.st.Done = true
	}
	return nil
}

func (r *runner) wait(n *node, field int) {
	r.st.Card, r.st.Field, r.st.Wait = n.id, field, WaitAnswer
}

// offline shows the offline message and returns the offline branch.
func (r *runner) offline(n *node) *node {
	text, html := r.render(n, n.offMsg, "offline")
	r.out = append(r.out, OfflineNotice{Card: n.id, Text: text, HTML: html})
	r.st.LiveChat, r.st.Wait, r.st.Card = LiveChatOffline, WaitNone, ""
	return n.offline
}

func (r *runner) agents(n *node) int {
	if g := n.card.Group; g != "" {
		return r.env.GroupsOnline[g]
	}
	return r.env.AgentsOnline
}

func (r *runner) message(n *node, t ctext) {
	if len(t) == 0 {
		return
	}
	text, html := r.render(n, t, "")
	r.out = append(r.out, Message{Card: n.id, Text: text, HTML: html})
}

func (r *runner) ask(n *node, field int) {
	a := Ask{Card: n.id, Field: field}
	if field < 0 {
		a.Text, a.HTML = r.render(n, n.text, "")
		a.Input, a.Required = n.input, n.required
		for _, o := range n.options {
			label, _ := r.render(n, o.label, "")
			a.Options = append(a.Options, AskOption{Label: label})
		}
	} else {
		f := n.fields[field]
		a.Text, a.HTML = r.render(n, f.label, "")
		a.Input, a.Required = f.input, f.required
		if m, ok := r.st.Answers[n.id].(map[string]any); ok {
			a.Value = format(m[f.save.String()])
		}
	}
	r.out = append(r.out, a)
}

// render resolves a text for the conversation's language; fallback names a
// default text for when the card has none.
func (r *runner) render(n *node, t ctext, fallback string) (string, string) {
	tpl := t.pick(r.st.Language, r.p.lang)
	if tpl == nil {
		if fallback == "" {
			return "", ""
		}
		s := defaultText(fallback, r.st.Language, r.p.lang)
		return s, RenderMarkdown(s)
	}
	return tpl.render(r.varsFor(n), func(src string, err error) {
		r.log(n.id, fmt.Sprintf("{{ %s }} failed: %s", src, firstLine(err)))
	})
}

func (r *runner) log(card, msg string) {
	r.out = append(r.out, Log{Card: card, Message: msg})
}

// follow picks the next card: the target, or the first branch whose
// condition holds. A condition that fails at run time counts as false and
// is logged, so the default branch catches it.
func (r *runner) follow(n *node, nx *cnext) *node {
	if nx == nil {
		return nil
	}
	if nx.branches == nil {
		return nx.to
	}
	for _, b := range nx.branches {
		if b.cond == nil {
			return b.to
		}
		v, err := run(b.cond, r.varsFor(n))
		if err != nil {
			r.log(n.id, fmt.Sprintf("%s: %q failed, taking the default branch: %s", b.path, b.src, firstLine(err)))
			continue
		}
		if ok, _ := v.(bool); ok {
			return b.to
		}
	}
	return nil
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// answer handles an answer to the waiting question or form field.
func (r *runner) answer(ev Event) error {
	st := r.st
	n := r.p.cards[st.Card]
	if st.Wait != WaitAnswer || n == nil || ev.Card != st.Card {
		return ErrNotWaiting
	}
	r.cur = n.id
	if n.card.Type == CardForm && ev.Field != st.Field {
		return ErrNotWaiting
	}
	if ev.Option != nil && n.options == nil {
		// A button index on a typed question or form field names nothing:
		// read as an empty value it would skip an optional field, and the
		// transcript would show an answer nobody gave.
		return ErrBadOption
	}
	if n.card.Type == CardForm {
		return r.formAnswer(n, ev)
	}
	if n.options != nil {
		i, ok := r.option(n, ev)
		if ev.Option != nil && !ok {
			return ErrBadOption
		}
		if !ok {
			r.invalid(n, -1, "option")
			return nil
		}
		o := n.options[i]
		r.store(n, n.save, o.value)
		next := n.next
		if o.next != nil {
			next = o.next
		}
		r.run(r.follow(n, next))
		return nil
	}
	if strings.TrimSpace(ev.Value) == "" && !n.required {
		r.run(r.follow(n, n.next))
		return nil
	}
	v, ok := r.check(n.input, ev.Value)
	if !ok {
		r.invalid(n, -1, r.reason(n.input, ev.Value))
		return nil
	}
	r.store(n, n.save, v)
	r.run(r.follow(n, n.next))
	return nil
}

func (r *runner) check(kind InputKind, s string) (any, bool) {
	lang := r.env.Visitor.Language // with its region: en-US writes dates month first
	if lang == "" {
		lang = r.st.Language
	}
	return checkInput(kind, s, lang)
}

func (r *runner) reason(kind InputKind, s string) string {
	if strings.TrimSpace(s) == "" {
		return "required"
	}
	return string(kind)
}

// option finds the chosen button: by index, else by a typed label or value.
func (r *runner) option(n *node, ev Event) (int, bool) {
	if ev.Option != nil {
		i := *ev.Option
		return i, i >= 0 && i < len(n.options)
	}
	v := strings.TrimSpace(ev.Value)
	if v == "" {
		return 0, false
	}
	for i, o := range n.options {
		for _, l := range o.labels {
			if strings.EqualFold(strings.TrimSpace(l), v) {
				return i, true
			}
		}
		if strings.EqualFold(format(o.value), v) {
			return i, true
		}
	}
	return 0, false
}

func (r *runner) formAnswer(n *node, ev Event) error {
	f := n.fields[ev.Field]
	if strings.TrimSpace(ev.Value) != "" || f.required {
		v, ok := r.check(f.input, ev.Value)
		if !ok {
			r.invalid(n, ev.Field, r.reason(f.input, ev.Value))
			return nil
		}
		m, _ := r.st.Answers[n.id].(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		m[f.save.String()] = v
		r.setAnswer(n.id, m)
		r.save(f.save, v)
	}
	if res := r.st.Resume; res != nil {
		r.st.Resume = nil
		r.st.Card, r.st.Field, r.st.Wait, r.st.Retries = res.Card, res.Field, res.Wait, 0
		if res.Wait == WaitAnswer {
			if rn := r.p.cards[res.Card]; rn != nil {
				field := res.Field
				if rn.card.Type != CardForm {
					field = -1
				}
				r.ask(rn, field)
			}
		}
		return nil
	}
	if ev.Field+1 < len(n.fields) {
		r.wait(n, ev.Field+1)
		r.ask(n, ev.Field+1)
		return nil
	}
	r.run(r.follow(n, n.next))
	return nil
}

// edit goes back to a form field already answered; after the new answer
// the conversation returns to where it was.
func (r *runner) edit(ev Event) error {
	st := r.st
	n := r.p.cards[ev.Card]
	if n == nil || n.card.Type != CardForm || ev.Field < 0 || ev.Field >= len(n.fields) {
		return ErrNotWaiting
	}
	_, answered := st.Answers[n.id]
	reached := answered || (st.Card == n.id && st.Wait == WaitAnswer && st.Field >= ev.Field)
	if !reached {
		return ErrNotWaiting
	}
	if st.Card == n.id && st.Field == ev.Field && st.Wait == WaitAnswer {
		r.ask(n, ev.Field) // editing the field being asked: just ask again
		return nil
	}
	if st.Resume == nil {
		st.Resume = &Resume{Card: st.Card, Field: st.Field, Wait: st.Wait}
	}
	r.wait(n, ev.Field)
	r.ask(n, ev.Field)
	return nil
}

func (r *runner) invalid(n *node, field int, reason string) {
	r.st.Retries++
	var text, html string
	if field < 0 && len(n.invalid) > 0 && reason != "required" && reason != "option" {
		text, html = r.render(n, n.invalid, "")
	} else {
		text = defaultText(reason, r.st.Language, r.p.lang)
		html = RenderMarkdown(text)
	}
	r.out = append(r.out, Invalid{Card: n.id, Field: field, Text: text, HTML: html})
	r.ask(n, field)
}

// store records a question's answer under answers.<card> and its save
// target.
func (r *runner) store(n *node, t target, v any) {
	r.setAnswer(n.id, v)
	r.save(t, v)
}

func (r *runner) setAnswer(id string, v any) {
	if r.st.Answers == nil {
		r.st.Answers = map[string]any{}
	}
	r.st.Answers[id] = v
	r.vars = nil
}

func (r *runner) save(t target, v any) {
	st := r.st
	switch t.kind {
	case "":
		return
	case "person":
		if st.Person == nil {
			st.Person = map[string]string{}
		}
		st.Person[t.key] = format(v)
	case "organization":
		if st.Organization == nil {
			st.Organization = map[string]string{}
		}
		st.Organization[t.key] = format(v)
	case "deal":
		if t.key == "value" {
			if f, ok := toNumber(v); ok {
				st.Deal.Value = &f
			}
		} else {
			st.Deal.ExpectedCloseDate = format(v)
		}
	case "field":
		if st.Fields == nil {
			st.Fields = map[string]any{}
		}
		switch r.fieldType(t.key) {
		case FieldNumber:
			if f, ok := toNumber(v); ok {
				st.Fields[t.key] = f
			}
		case FieldBool:
			if b, ok := v.(bool); ok {
				st.Fields[t.key] = b
			} else if b, ok := parseBool(format(v)); ok {
				st.Fields[t.key] = b
			}
		default:
			st.Fields[t.key] = format(v)
		}
	}
	r.vars = nil
}

func (r *runner) fieldType(name string) FieldType {
	for _, f := range r.p.doc.Fields {
		if f.Name == name {
			return f.Type
		}
	}
	return FieldText
}

func toNumber(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case string:
		f, ok := checkNumber(v)
		if ok {
			return f.(float64), true
		}
	}
	return 0, false
}

func (r *runner) capture(n *node) Capture {
	card, st := n.card, r.st
	c := Capture{
		Card: n.id, Create: card.Create, Currency: card.Currency, Owner: card.Owner, Group: card.Group,
		Pipeline: card.Pipeline, Stage: card.Stage, Labels: slices.Clone(card.Labels), Qualified: n.qualified,
		Person:       Contact{Name: st.Person["name"], Email: st.Person["email"], Phone: st.Person["phone"]},
		Organization: Organization{Name: st.Organization["name"], Address: st.Organization["address"]},
		Deal:         st.Deal,
		Fields:       maps.Clone(st.Fields),
	}
	if c.Create == "" {
		c.Create = "lead"
	}
	if c.Owner == "" {
		c.Owner = "round_robin"
	}
	if !c.Qualified && !slices.Contains(c.Labels, "unqualified") {
		c.Labels = append(c.Labels, "unqualified")
	}
	fail := func(src string, err error) {
		r.log(n.id, fmt.Sprintf("{{ %s }} failed: %s", src, firstLine(err)))
	}
	title := n.title
	if title == nil {
		title = r.p.defTitle
	}
	c.Title, _ = title.render(r.varsFor(n), fail)
	if n.note != nil {
		c.Note, _ = n.note.render(r.varsFor(n), fail)
	} else {
		c.DefaultNote = true
	}
	if n.value != nil {
		v, err := run(n.value, r.varsFor(n))
		if f, ok := v.(float64); ok && err == nil {
			c.Value = &f
		} else {
			r.log(n.id, fmt.Sprintf("value: %q failed: %s", n.valueSrc, errText(err)))
		}
	} else if st.Deal.Value != nil {
		v := *st.Deal.Value
		c.Value = &v
	}
	if a := card.Activity; a != nil {
		c.Activity = &CaptureActivity{Type: a.Type, Due: n.due}
		if n.subject != nil {
			c.Activity.Subject, _ = n.subject.render(r.varsFor(n), fail)
		}
	}
	return c
}

func errText(err error) string {
	if err == nil {
		return "no number"
	}
	return firstLine(err)
}

// varsFor returns the expression variables as seen from card n:
// agents_online counts the card's group when it has one.
func (r *runner) varsFor(n *node) map[string]any {
	if r.vars == nil {
		r.vars = r.buildVars()
	}
	r.vars["agents_online"] = r.agents(n)
	return r.vars
}

func (r *runner) buildVars() map[string]any {
	st, env := r.st, r.env
	v := env.Visitor
	answers := st.Answers
	if answers == nil {
		answers = map[string]any{}
	}
	fields := map[string]any(st.Fields)
	if fields == nil {
		fields = map[string]any{}
	}
	deal := map[string]any{}
	if st.Deal.Value != nil {
		deal["value"] = *st.Deal.Value
	}
	if st.Deal.ExpectedCloseDate != "" {
		deal["expected_close_date"] = st.Deal.ExpectedCloseDate
	}
	return map[string]any{
		"answers":      answers,
		"person":       anyMap(st.Person),
		"organization": anyMap(st.Organization),
		"deal":         deal,
		"field":        fields,
		"visitor": map[string]any{
			"visits": v.Visits, "returning": v.Returning, "language": v.Language, "device": v.Device,
			"browser": v.Browser, "os": v.OS, "referrer": v.Referrer,
			"time_on_site": v.TimeOnSite, "time_on_page": v.TimeOnPage,
		},
		"page":          map[string]any{"url": env.Page.URL, "path": env.Page.Path, "title": env.Page.Title},
		"agents_online": env.AgentsOnline,
		"in_hours":      env.InHours,
		"playbook":      map[string]any{"id": r.p.doc.ID, "name": r.p.doc.Name, "version": env.Version},
		"now":           env.Now,
	}
}

// anyMap exposes saved strings to expressions; what was not saved is
// absent, hence nil.
func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}
