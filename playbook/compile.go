package playbook

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
)

// Limits of the spec.
const (
	MaxCards      = 500
	MaxOptions    = 10
	MaxFormFields = 8
	MinWait       = 5 * time.Second
	MaxWait       = 30 * time.Minute
	DefaultWait   = 60 * time.Second
)

// Program is a validated playbook with its expressions and templates
// compiled. It is immutable and safe for concurrent use: compile it once per
// published version and call Step for every event of every conversation.
type Program struct {
	doc      *Document
	cards    map[string]*node
	start    *node
	lang     string          // the document's default language
	langs    map[string]bool // languages some text is written in
	when     *vm.Program     // trigger.when, nil when absent
	defTitle *template
}

// Compile validates doc and compiles it. Problems holds every error and
// warning, in source order; the Program is nil when there is an error.
func Compile(doc *Document) (*Program, Problems) {
	c := &compiler{doc: doc, nodes: map[string]*node{}}
	p := c.compile()
	c.probs.sort()
	if len(c.probs.Errors()) > 0 {
		return nil, c.probs
	}
	return p, c.probs
}

// Load parses and compiles a YAML or JSON playbook.
func Load(data []byte) (*Program, Problems) {
	doc, probs := Parse(data)
	if doc == nil {
		return nil, probs
	}
	// Validate what could be read even when reading found problems, so
	// that every problem is reported at once.
	p, more := Compile(doc)
	probs = append(probs, more...)
	probs.sort()
	if len(probs.Errors()) > 0 {
		return nil, probs
	}
	return p, probs
}

// Document returns the document the program was compiled from; it must not
// be modified.
func (p *Program) Document() *Document { return p.doc }

// node is a compiled card.
type node struct {
	id       string
	card     *Card
	text     ctext
	next     *cnext
	options  []copt
	input    InputKind
	save     target
	required bool
	invalid  ctext
	fields   []cfield
	wait     time.Duration
	online   ctext
	offMsg   ctext
	offline  *node
	// capture
	title, note, subject *template
	value                *vm.Program
	valueSrc             string
	due                  time.Duration
	qualified            bool
	restart              bool
	edges                []edge
}

// waits says whether the card stops the flow for the visitor.
func (n *node) waits() bool {
	return n.card.Type == CardQuestion || (n.card.Type == CardForm && len(n.fields) > 0)
}

type edge struct {
	to   *node
	path string
}

type cnext struct {
	to       *node
	branches []cbranch
}

type cbranch struct {
	cond *vm.Program // nil for the default
	src  string
	path string
	to   *node
}

type copt struct {
	label  ctext
	labels []string // every translation, for matching a typed answer
	value  any
	next   *cnext
}

type cfield struct {
	save     target
	label    ctext
	input    InputKind
	required bool
}

// target is where an answer is saved: person.email, field.team_size…
type target struct{ kind, key string }

func (t target) String() string {
	if t.kind == "" {
		return ""
	}
	return t.kind + "." + t.key
}

var fixedTargets = []string{"person.name", "person.email", "person.phone", "organization.name",
	"organization.address", "deal.value", "deal.expected_close_date"}

// targetInput is the input a fixed target needs; others take any input.
var targetInput = map[string]InputKind{
	"person.email": InputEmail, "person.phone": InputPhone,
	"deal.value": InputNumber, "deal.expected_close_date": InputDate,
}

var (
	docSlug   = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	cardSlug  = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
	fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	langCode  = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	currency  = regexp.MustCompile(`^[A-Z]{3}$`)
	dueForm   = regexp.MustCompile(`^\+([0-9]{1,4})([dhm])$`)
)

type compiler struct {
	doc   *Document
	probs Problems
	nodes map[string]*node
	env   types.Map
	ids   []string
	langs map[string]bool
}

// at finds the position of path, or of its nearest recorded parent.
func (c *compiler) at(key string) Pos {
	for key != "" {
		if p, ok := c.doc.pos[key]; ok {
			return p
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return Pos{}
}

func key(card, path string) string {
	switch {
	case card == "":
		return path
	case path == "":
		return "cards." + card
	}
	return "cards." + card + "." + path
}

func (c *compiler) add(warn bool, card, path string, format string, args ...any) {
	p := c.at(key(card, path))
	c.probs = append(c.probs, Problem{Line: p.Line, Col: p.Col, Card: card, Path: path, Message: fmt.Sprintf(format, args...), Warning: warn})
}

func (c *compiler) errf(card, path, format string, args ...any) {
	c.add(false, card, path, format, args...)
}

// exprProblem reports a compile error of an expression written at path,
// off bytes into the value (for templates).
func (c *compiler) exprProblem(card, path, src string, off int, e *exprError) {
	p := c.at(key(card, path))
	line, col := textLine(src, off)
	line += e.line
	if e.line > 0 {
		col = 0
	}
	col += e.col
	msg := e.msg
	if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
		msg = fmt.Sprintf("unknown name %q%s", name, suggest(name, envNames))
	}
	if line > 0 {
		p.Line, p.Col = p.Line+line, col+1
	} else if p.Line > 0 {
		p.Col += col
	}
	c.probs = append(c.probs, Problem{Line: p.Line, Col: p.Col, Card: card, Path: path, Message: msg})
}

var envNames = []string{"answers", "person", "organization", "deal", "field", "visitor", "page",
	"agents_online", "in_hours", "playbook", "now"}

func (c *compiler) compile() *Program {
	d := c.doc
	p := &Program{doc: d, cards: c.nodes, lang: d.Language}
	if p.lang == "" {
		p.lang = "en"
	}
	c.document()
	for _, card := range d.Cards {
		if !cardSlug.MatchString(card.ID) {
			c.errf(card.ID, "", "card ids are 1 to 64 lowercase letters, digits, - or _")
		}
		c.nodes[card.ID] = &node{id: card.ID, card: card}
		if card.Type == CardQuestion || card.Type == CardForm {
			c.ids = append(c.ids, card.ID)
		}
	}
	c.env = envType(d, c.ids)
	c.langs = map[string]bool{p.lang: true}
	if d.Trigger != nil && d.Trigger.When != "" {
		p.when = c.expr("", "trigger.when", d.Trigger.When, wantBool)
	}
	p.defTitle, _ = compileTemplate("{{ person.name ?? 'Visitor' }} – {{ playbook.name }}", c.env)
	for _, card := range d.Cards {
		c.card(c.nodes[card.ID])
	}
	if d.Start != "" {
		p.start = c.target("", "start", d.Start)
	}
	c.graph(p.start)
	p.langs = c.langs
	return p
}

func (c *compiler) document() {
	d := c.doc
	if d.ID == "" {
		c.errf("", "id", "missing id: give the playbook a slug such as sales-qualifier")
	} else if !docSlug.MatchString(d.ID) {
		c.errf("", "id", "%q is not a slug: use 1 to 64 lowercase letters, digits and -", d.ID)
	}
	if strings.TrimSpace(d.Name) == "" {
		c.errf("", "name", "missing name")
	}
	if d.Language != "" && !langCode.MatchString(d.Language) {
		c.errf("", "language", "%q is not a language code such as en or pt-BR", d.Language)
	}
	if d.Start == "" {
		c.errf("", "start", "missing start: name the first card")
	}
	switch {
	case len(d.Cards) == 0:
		c.errf("", "cards", "a playbook needs at least one card")
	case len(d.Cards) > MaxCards:
		c.errf("", "cards", "%d cards is more than the limit of %d", len(d.Cards), MaxCards)
	}
	for _, f := range d.Fields {
		path := "fields." + f.Name
		if !fieldName.MatchString(f.Name) {
			c.errf("", path, "field names start with a letter and hold lowercase letters, digits and _")
		}
		switch f.Type {
		case FieldText, FieldNumber, FieldDate, FieldBool:
		default:
			c.errf("", path+".type", "unknown field type %q%s; use text, number, date or bool", f.Type, suggest(string(f.Type), []string{"text", "number", "date", "bool"}))
		}
	}
	if t := d.Trigger; t != nil {
		switch t.On {
		case "open", "load", "":
		case "delay":
			if t.After == "" {
				c.errf("", "trigger.on", "on: delay needs after, e.g. after: 20s")
			}
		default:
			c.errf("", "trigger.on", "unknown trigger %q; use open, load or delay", t.On)
		}
		if t.After != "" {
			if _, err := parseDuration(t.After); err != "" {
				c.errf("", "trigger.after", "%s", err)
			}
		}
		if t.Pages != nil {
			for i, pat := range append(append([]string{}, t.Pages.Include...), t.Pages.Exclude...) {
				if pat == "" || (pat[0] != '/' && pat[0] != '*') {
					c.errf("", "trigger.pages", "page pattern %d (%q) must start with / or *", i+1, pat)
				}
			}
		}
	}
}

func (c *compiler) card(n *node) {
	card, id := n.card, n.id
	n.text = c.text(id, "text", card.Text)
	switch card.Type {
	case CardMessage:
		if len(card.Text) == 0 {
			c.errf(id, "", "a message card needs a text")
		}
	case CardQuestion:
		c.question(n)
	case CardForm:
		c.form(n)
	case CardLiveChat:
		c.livechat(n)
	case CardCapture:
		c.capture(n)
	case CardEnd:
		n.restart = card.Restart == nil || *card.Restart
	}
	if card.Next != nil {
		n.next = c.next(id, "next", card.Next)
	}
}

func (c *compiler) question(n *node) {
	card, id := n.card, n.id
	if len(card.Text) == 0 {
		c.errf(id, "", "a question card needs a text")
	}
	n.required = card.Required == nil || *card.Required
	n.invalid = c.text(id, "invalid", card.Invalid)
	hasOpts := card.Options != nil
	switch {
	case !hasOpts && card.Input == "":
		c.errf(id, "", "a question needs options (buttons) or an input (typed answer)")
	case hasOpts && card.Input != "":
		c.errf(id, "input", "a question has options or an input, not both")
	case card.Input != "":
		c.inputKind(id, "input", card.Input)
		n.input = card.Input
	}
	if hasOpts {
		c.optionList(n)
	}
	if card.Save != "" {
		n.save = c.saveTarget(id, "save", card.Save)
		c.saveFits(id, "save", n.save, n.input, n.options)
	}
}

func (c *compiler) optionList(n *node) {
	card, id := n.card, n.id
	if len(card.Options) == 0 || len(card.Options) > MaxOptions {
		c.errf(id, "options", "a question has 1 to %d options, this one has %d", MaxOptions, len(card.Options))
	}
	seen := map[string]int{}
	for i, o := range card.Options {
		path := fmt.Sprintf("options[%d]", i)
		co := copt{value: o.Value, label: c.text(id, path+".label", o.Label)}
		if len(o.Label) == 0 {
			c.errf(id, path, "an option needs a label")
		}
		for _, tr := range o.Label {
			l := strings.ToLower(strings.TrimSpace(tr.Text))
			if j, dup := seen[tr.Lang+"\x00"+l]; dup {
				c.errf(id, path+".label", "label %q is already used by option %d", tr.Text, j+1)
			}
			seen[tr.Lang+"\x00"+l] = i
			co.labels = append(co.labels, tr.Text)
		}
		if co.value == nil && len(o.Label) > 0 {
			co.value = o.Label[0].Text
		}
		if o.Next != nil {
			co.next = c.next(id, path+".next", o.Next)
		}
		n.options = append(n.options, co)
	}
}

func (c *compiler) form(n *node) {
	card, id := n.card, n.id
	if len(card.Fields) == 0 || len(card.Fields) > MaxFormFields {
		c.errf(id, "fields", "a form has 1 to %d fields, this one has %d", MaxFormFields, len(card.Fields))
	}
	seen := map[string]bool{}
	for i, f := range card.Fields {
		path := fmt.Sprintf("fields[%d]", i)
		cf := cfield{input: f.Input, required: f.Required == nil || *f.Required}
		if cf.input == "" {
			cf.input = InputText
		} else {
			c.inputKind(id, path+".input", f.Input)
		}
		if len(f.Label) == 0 {
			c.errf(id, path, "a form field needs a label")
		}
		cf.label = c.text(id, path+".label", f.Label)
		if f.Save == "" {
			c.errf(id, path, "a form field needs save (where the answer goes, e.g. person.email)")
		} else {
			if seen[f.Save] {
				c.errf(id, path+".save", "%s is already saved by another field of this form", f.Save)
			}
			seen[f.Save] = true
			cf.save = c.saveTarget(id, path+".save", f.Save)
			c.saveFits(id, path+".save", cf.save, cf.input, nil)
		}
		n.fields = append(n.fields, cf)
	}
}

func (c *compiler) livechat(n *node) {
	card, id := n.card, n.id
	n.wait = DefaultWait
	if card.Wait != "" {
		d, err := parseDuration(card.Wait)
		switch {
		case err != "":
			c.errf(id, "wait", "%s", err)
		case d < MinWait || d > MaxWait:
			c.errf(id, "wait", "%s is outside 5s to 30m", card.Wait)
		default:
			n.wait = d
		}
	}
	n.online = c.text(id, "online_message", card.OnlineMessage)
	n.offMsg = c.text(id, "offline_message", card.OfflineMessage)
	if card.Offline != "" {
		n.offline = c.target(id, "offline", card.Offline)
		if n.offline != nil {
			n.edges = append(n.edges, edge{n.offline, "offline"})
		}
	}
}

func (c *compiler) capture(n *node) {
	card, id := n.card, n.id
	switch card.Create {
	case "", "lead", "deal":
	default:
		c.errf(id, "create", "create is lead or deal, not %q", card.Create)
	}
	n.qualified = card.Qualified == nil || *card.Qualified
	if card.Title != "" {
		n.title = c.template(id, "title", card.Title)
	}
	if card.Note != "" {
		n.note = c.template(id, "note", card.Note)
	}
	if card.Value != "" {
		n.value = c.expr(id, "value", card.Value, wantNumber)
		n.valueSrc = card.Value
	}
	if card.Currency != "" && !currency.MatchString(card.Currency) {
		c.errf(id, "currency", "%q is not a currency code such as EUR or USD", card.Currency)
	}
	switch card.Owner {
	case "", "round_robin", "assignee":
	default:
		if _, ok := checkEmail(card.Owner); !ok {
			c.errf(id, "owner", "owner is a user's email, round_robin or assignee, not %q", card.Owner)
		}
	}
	for i, l := range card.Labels {
		if strings.TrimSpace(l) == "" {
			c.errf(id, fmt.Sprintf("labels[%d]", i), "a label cannot be empty")
		}
	}
	if a := card.Activity; a != nil {
		switch a.Type {
		case "call", "meeting", "task", "email":
		default:
			c.errf(id, "activity.type", "activity type is call, meeting, task or email, not %q%s", a.Type, suggest(a.Type, []string{"call", "meeting", "task", "email"}))
		}
		if a.Subject != "" {
			n.subject = c.template(id, "activity.subject", a.Subject)
		}
		n.due = 24 * time.Hour
		if a.Due != "" {
			d, ok := parseDue(a.Due)
			if !ok {
				c.errf(id, "activity.due", "due is a delay from now such as +1d, +2h or +30m, not %q", a.Due)
			}
			n.due = d
		}
	}
}

func (c *compiler) inputKind(card, path string, k InputKind) {
	if !contains(inputKinds, string(k)) {
		c.errf(card, path, "unknown input %q%s; use one of %s", k, suggest(string(k), inputKinds), strings.Join(inputKinds, ", "))
	}
}

func (c *compiler) saveTarget(card, path, s string) target {
	kind, k, _ := strings.Cut(s, ".")
	if kind == "field" {
		for _, f := range c.doc.Fields {
			if f.Name == k {
				return target{kind, k}
			}
		}
		names := make([]string, len(c.doc.Fields))
		for i, f := range c.doc.Fields {
			names[i] = "field." + f.Name
		}
		c.errf(card, path, "%s is not declared under fields%s", s, suggest(s, names))
		return target{}
	}
	if !contains(fixedTargets, s) {
		c.errf(card, path, "unknown save target %q%s; use %s or field.<name>", s, suggest(s, fixedTargets), strings.Join(fixedTargets, ", "))
		return target{}
	}
	return target{kind, k}
}

// saveFits checks that what a card collects can go where it is saved.
func (c *compiler) saveFits(card, path string, t target, in InputKind, opts []copt) {
	if t.kind == "" {
		return
	}
	want, ok := targetInput[t.String()]
	if t.kind == "field" {
		ok = true
		switch c.fieldType(t.key) {
		case FieldNumber:
			want = InputNumber
		case FieldDate:
			want = InputDate
		case FieldBool:
			want = ""
			if in != "" {
				c.errf(card, path, "%s is a bool: ask it with options (values true/false or yes/no)", t)
			}
		default:
			ok = false
		}
	}
	if !ok {
		return
	}
	if in != "" && want != "" && in != want {
		c.errf(card, path, "%s needs input: %s, not %s", t, want, in)
	}
	for i, o := range opts {
		if !fitsValue(o.value, want, t) {
			c.errf(card, fmt.Sprintf("options[%d].value", i), "%v cannot be saved into %s; give the option a value that can", o.value, t)
		}
	}
}

func (c *compiler) fieldType(name string) FieldType {
	for _, f := range c.doc.Fields {
		if f.Name == name {
			return f.Type
		}
	}
	return ""
}

func fitsValue(v any, want InputKind, t target) bool {
	if want == "" && t.kind == "field" { // bool field
		if s, ok := v.(string); ok {
			_, ok = parseBool(s)
			return ok
		}
		_, ok := v.(bool)
		return ok
	}
	if want == InputNumber {
		_, ok := v.(float64)
		return ok
	}
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, ok = checkInput(want, s, "")
	return ok
}

func (c *compiler) text(card, path string, t Text) ctext {
	var out ctext
	for _, tr := range t {
		p := path
		if tr.Lang != "" {
			p = path + "." + tr.Lang
			if !langCode.MatchString(tr.Lang) {
				c.errf(card, p, "%q is not a language code such as en or pt-BR", tr.Lang)
			}
			c.langs[strings.ToLower(tr.Lang)] = true
		}
		if len(tr.Text) > MaxTextSize {
			c.errf(card, p, "the text is %d bytes, more than the limit of %d", len(tr.Text), MaxTextSize)
			continue
		}
		if tpl := c.template(card, p, tr.Text); tpl != nil {
			out = append(out, ctrans{lang: tr.Lang, tpl: tpl})
		}
	}
	return out
}

func (c *compiler) template(card, path, src string) *template {
	tpl, err := compileTemplate(src, c.env)
	if err != nil {
		c.exprProblem(card, path, src, err.off, err.err)
		return nil
	}
	return tpl
}

func (c *compiler) expr(card, path, src string, want exprWant) *vm.Program {
	prog, err := compileExpr(src, c.env, want)
	if err != nil {
		c.exprProblem(card, path, src, 0, err)
	}
	return prog
}

func (c *compiler) target(card, path, id string) *node {
	if n, ok := c.nodes[id]; ok {
		return n
	}
	ids := make([]string, 0, len(c.doc.Cards))
	for _, cd := range c.doc.Cards {
		ids = append(ids, cd.ID)
	}
	c.errf(card, path, "unknown card %q%s", id, suggest(id, ids))
	return nil
}

func (c *compiler) next(card, path string, nx *Next) *cnext {
	n := c.nodes[card]
	out := &cnext{}
	if nx.Branches == nil {
		if out.to = c.target(card, path, nx.Target); out.to != nil {
			n.edges = append(n.edges, edge{out.to, path})
		}
		return out
	}
	if len(nx.Branches) == 0 {
		c.errf(card, path, "the branch list is empty")
	}
	for i, b := range nx.Branches {
		bp := fmt.Sprintf("%s[%d]", path, i)
		cb := cbranch{src: b.If, path: bp}
		last := i == len(nx.Branches)-1
		switch {
		case b.If == "" && !last:
			c.errf(card, bp, "only the last branch can go without if (it is the default)")
		case b.If != "" && last:
			c.errf(card, bp+".if", "the last branch must be the default: add `- goto: <card>` without if")
		}
		if b.If != "" {
			cb.cond = c.expr(card, bp+".if", b.If, wantBool)
		}
		if b.Goto == "" {
			c.errf(card, bp, "a branch needs goto")
		} else if cb.to = c.target(card, bp+".goto", b.Goto); cb.to != nil {
			n.edges = append(n.edges, edge{cb.to, bp + ".goto"})
		}
		out.branches = append(out.branches, cb)
	}
	return out
}

// graph reports cycles that run without waiting for the visitor (errors)
// and cards no path reaches (warnings).
func (c *compiler) graph(start *node) {
	const (
		white = iota
		grey
		black
	)
	color := map[*node]int{}
	var stack []*node
	var visit func(n *node)
	visit = func(n *node) {
		color[n] = grey
		stack = append(stack, n)
		for _, e := range n.edges {
			if e.to.waits() {
				continue
			}
			switch color[e.to] {
			case white:
				visit(e.to)
			case grey:
				var ids []string
				for i := len(stack) - 1; i >= 0; i-- {
					ids = append([]string{stack[i].id}, ids...)
					if stack[i] == e.to {
						break
					}
				}
				ids = append(ids, e.to.id)
				c.errf(n.id, e.path, "this loop never waits for the visitor: %s; put a question or form in it", strings.Join(ids, " → "))
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for _, cd := range c.doc.Cards {
		if n := c.nodes[cd.ID]; !n.waits() && color[n] == white {
			visit(n)
		}
	}
	if start == nil {
		return
	}
	seen := map[*node]bool{start: true}
	queue := []*node{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range n.edges {
			if !seen[e.to] {
				seen[e.to] = true
				queue = append(queue, e.to)
			}
		}
	}
	for _, cd := range c.doc.Cards {
		if !seen[c.nodes[cd.ID]] {
			c.add(true, cd.ID, "", "unreachable: no card leads here")
		}
	}
}

// parseDuration reads durations such as 45s, 2m, 1h30m; it returns a
// message for the marketer when the text is not one.
func parseDuration(s string) (time.Duration, string) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || strings.ContainsAny(s, "nuµ") || strings.Contains(s, "ms") {
		return 0, fmt.Sprintf("%q is not a duration such as 45s, 2m or 1h", s)
	}
	return d, ""
}

func parseDue(s string) (time.Duration, bool) {
	m := dueForm.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	var n int
	fmt.Sscan(m[1], &n)
	unit := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}[m[2]]
	return time.Duration(n) * unit, true
}
