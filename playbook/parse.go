package playbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxDocumentSize bounds what Parse reads; 500 cards of short texts fit
// comfortably.
const MaxDocumentSize = 2 << 20

// Parse reads a playbook written as YAML or JSON (a document whose first
// character is `{` is read as JSON, so its syntax errors read as JSON
// errors). It reports every structural problem it finds — unknown keys,
// wrong types — with its line and column, and returns the document as far as
// it could read it. Compile does the rest of the validation.
func Parse(data []byte) (*Document, Problems) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(data) > MaxDocumentSize {
		return nil, Problems{{Line: 1, Col: 1, Message: fmt.Sprintf("document is larger than %d bytes", MaxDocumentSize)}}
	}
	var root *yaml.Node
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		n, err := jsonNode(data)
		if err != nil {
			return nil, Problems{jsonProblem(data, err)}
		}
		root = n
	} else {
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil {
			return nil, Problems{yamlProblem(err)}
		}
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			root = n.Content[0]
		}
	}
	if root == nil {
		return nil, Problems{{Line: 1, Col: 1, Message: "the document is empty"}}
	}
	d := &decoder{doc: &Document{pos: map[string]Pos{}}}
	d.document(root)
	d.probs.sort()
	return d.doc, d.probs
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlProblem(err error) Problem {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Col: 1, Message: "invalid YAML: " + m[2]}
	}
	return Problem{Line: 1, Col: 1, Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

func jsonProblem(data []byte, err error) Problem {
	off := int64(len(data))
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	var je *jsonError
	if errors.As(err, &je) {
		off = je.off
	}
	line, col := lineCol(data, int(off))
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		msg = "unexpected end of input"
	}
	return Problem{Line: line, Col: col, Message: "invalid JSON: " + msg}
}

type jsonError struct {
	off int64
	msg string
}

func (e *jsonError) Error() string { return e.msg }

// jsonNode turns JSON into the yaml.Node tree the decoder reads, so both
// syntaxes share one decoder and every value keeps its line and column.
func jsonNode(data []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := jsonValue(dec, data)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &jsonError{off: dec.InputOffset(), msg: "unexpected data after the top-level object"}
	}
	return n, nil
}

func jsonValue(dec *json.Decoder, data []byte) (*yaml.Node, error) {
	start := tokenStart(data, dec.InputOffset())
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	line, col := lineCol(data, start)
	n := &yaml.Node{Line: line, Column: col}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
			for dec.More() {
				k, err := jsonValue(dec, data)
				if err != nil {
					return nil, err
				}
				v, err := jsonValue(dec, data)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, k, v)
			}
		} else {
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			for dec.More() {
				v, err := jsonValue(dec, data)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!str", t, yaml.DoubleQuotedStyle
	case json.Number:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!int", t.String()
		if strings.ContainsAny(n.Value, ".eE") {
			n.Tag = "!!float"
		}
	case bool:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!bool", strconv.FormatBool(t)
	case nil:
		n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!null", "null"
	}
	return n, nil
}

// tokenStart skips what separates JSON tokens: InputOffset points just
// after the previous token.
func tokenStart(data []byte, off int64) int {
	i := int(off)
	for i < len(data) && strings.IndexByte(" \t\r\n,:", data[i]) >= 0 {
		i++
	}
	return i
}

func lineCol(data []byte, off int) (int, int) {
	off = min(off, len(data))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[lineStart:]) + 1
}

// decoder reads the node tree into a Document, collecting problems rather
// than stopping at the first.
type decoder struct {
	doc   *Document
	probs Problems
}

func (d *decoder) problem(n *yaml.Node, card, path, format string, args ...any) {
	p := Problem{Card: card, Path: path, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	d.probs = append(d.probs, p)
}

// mark records where the value at path was written. Quoted single-line
// scalars point at their first character so that expression columns line up.
func (d *decoder) mark(path string, n *yaml.Node) {
	p := Pos{n.Line, n.Column}
	if n.Kind == yaml.ScalarNode && (n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle) {
		p.Col++
	}
	d.doc.pos[path] = p
}

// fields walks a mapping node, reporting unknown and duplicate keys; fn is
// called for each known key with its value.
func (d *decoder) fields(n *yaml.Node, card, path string, known []string, fn func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.problem(n, card, path, "must be a map of keys, got %s", describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		sub := join(path, key)
		switch {
		case k.Kind != yaml.ScalarNode:
			d.problem(k, card, path, "keys must be plain words")
			continue
		case seen[key]:
			d.problem(k, card, sub, "duplicate key")
			continue
		case !contains(known, key):
			d.problem(k, card, path, "unknown key %q%s", key, suggest(key, known))
			continue
		}
		seen[key] = true
		fn(key, k, v)
	}
}

func (d *decoder) document(n *yaml.Node) {
	known := []string{"id", "name", "language", "bot", "trigger", "fields", "start", "cards"}
	if n.Kind != yaml.MappingNode {
		d.problem(n, "", "", "a playbook must be a map with id, name, start and cards, got %s", describe(n))
		return
	}
	doc := d.doc
	d.fields(n, "", "", known, func(key string, k, v *yaml.Node) {
		d.mark(key, v)
		switch key {
		case "id":
			doc.ID = d.str(v, "", key)
		case "name":
			doc.Name = d.str(v, "", key)
		case "language":
			doc.Language = d.str(v, "", key)
		case "start":
			doc.Start = d.str(v, "", key)
		case "bot":
			doc.Bot = &Bot{}
			d.fields(v, "", key, []string{"name", "avatar"}, func(key string, _, v *yaml.Node) {
				d.mark("bot."+key, v)
				if key == "name" {
					doc.Bot.Name = d.str(v, "", "bot.name")
				} else {
					doc.Bot.Avatar = d.str(v, "", "bot.avatar")
				}
			})
		case "trigger":
			doc.Trigger = d.trigger(v)
		case "fields":
			if v.Kind != yaml.MappingNode {
				d.problem(v, "", key, "must be a map of field name to type, got %s", describe(v))
				return
			}
			d.declFields(v)
		case "cards":
			d.cards(v)
		}
	})
}

func (d *decoder) declFields(n *yaml.Node) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := "fields." + k.Value
		if seen[k.Value] {
			d.problem(k, "", path, "duplicate key")
			continue
		}
		seen[k.Value] = true
		d.doc.pos[path] = Pos{k.Line, k.Column}
		d.doc.pos[path+".type"] = Pos{v.Line, v.Column}
		d.doc.Fields = append(d.doc.Fields, FieldDecl{Name: k.Value, Type: FieldType(d.str(v, "", path))})
	}
}

func (d *decoder) trigger(n *yaml.Node) *Trigger {
	t := &Trigger{}
	d.fields(n, "", "trigger", []string{"on", "after", "pages", "when", "priority"}, func(key string, _, v *yaml.Node) {
		path := "trigger." + key
		d.mark(path, v)
		switch key {
		case "on":
			t.On = d.str(v, "", path)
		case "after":
			t.After = d.str(v, "", path)
		case "when":
			t.When = d.str(v, "", path)
		case "priority":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
				d.problem(v, "", path, "must be a whole number, got %s", describe(v))
				return
			}
			t.Priority, _ = strconv.Atoi(v.Value)
		case "pages":
			t.Pages = &Pages{}
			d.fields(v, "", path, []string{"include", "exclude"}, func(key string, _, v *yaml.Node) {
				d.mark(path+"."+key, v)
				if key == "include" {
					t.Pages.Include = d.strs(v, "", path+".include")
				} else {
					t.Pages.Exclude = d.strs(v, "", path+".exclude")
				}
			})
		}
	})
	return t
}

func (d *decoder) cards(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		d.problem(n, "", "cards", "must be a map of card id to card, got %s", describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		id := k.Value
		if seen[id] {
			d.problem(k, id, "", "duplicate card id")
			continue
		}
		seen[id] = true
		d.doc.pos["cards."+id] = Pos{k.Line, k.Column}
		d.doc.Cards = append(d.doc.Cards, d.card(id, v))
	}
}

// cardKeys lists the keys each card type accepts, besides type.
var cardKeys = map[CardType][]string{
	CardMessage:  {"text", "next"},
	CardQuestion: {"text", "options", "input", "save", "required", "invalid", "next"},
	CardForm:     {"text", "fields", "next"},
	CardLiveChat: {"online_message", "wait", "offline_message", "offline", "group"},
	CardCapture: {"text", "create", "qualified", "title", "value", "currency", "owner", "group",
		"pipeline", "stage", "labels", "note", "activity", "next"},
	CardEnd: {"text", "restart"},
}

var allCardKeys = func() []string {
	keys := []string{"type"}
	for _, t := range []CardType{CardMessage, CardQuestion, CardForm, CardLiveChat, CardCapture, CardEnd} {
		for _, k := range cardKeys[t] {
			if !contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}()

var cardTypes = []string{"message", "question", "form", "livechat", "capture", "end"}

func (d *decoder) card(id string, n *yaml.Node) *Card {
	c := &Card{ID: id}
	if n.Kind != yaml.MappingNode {
		d.problem(n, id, "", "a card must be a map with a type, got %s", describe(n))
		return c
	}
	var allowed []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			v := n.Content[i+1]
			c.Type = CardType(d.str(v, id, "type"))
			d.mark("cards."+id+".type", v)
			if a, ok := cardKeys[c.Type]; ok {
				allowed = a
			} else if c.Type != "" {
				d.problem(v, id, "type", "unknown card type %q%s; use one of %s", c.Type, suggest(string(c.Type), cardTypes), strings.Join(cardTypes, ", "))
			}
		}
	}
	if c.Type == "" && n.Kind == yaml.MappingNode {
		d.problem(n, id, "", "missing type (one of %s)", strings.Join(cardTypes, ", "))
	}
	base := "cards." + id + "."
	d.fields(n, id, "", allCardKeys, func(key string, k, v *yaml.Node) {
		if key == "type" {
			return
		}
		if allowed != nil && !contains(allowed, key) {
			d.problem(k, id, "", "key %q is not allowed on a %s card (it takes %s)", key, c.Type, strings.Join(allowed, ", "))
			return
		}
		d.mark(base+key, v)
		switch key {
		case "text":
			c.Text = d.text(v, id, key)
		case "next":
			c.Next = d.next(v, id, key)
		case "options":
			c.Options = d.options(v, id)
		case "input":
			c.Input = InputKind(d.str(v, id, key))
		case "save":
			c.Save = d.str(v, id, key)
		case "required":
			c.Required = d.boolean(v, id, key)
		case "invalid":
			c.Invalid = d.text(v, id, key)
		case "fields":
			c.Fields = d.formFields(v, id)
		case "online_message":
			c.OnlineMessage = d.text(v, id, key)
		case "offline_message":
			c.OfflineMessage = d.text(v, id, key)
		case "wait":
			c.Wait = d.str(v, id, key)
		case "offline":
			c.Offline = d.str(v, id, key)
		case "group":
			c.Group = d.str(v, id, key)
		case "create":
			c.Create = d.str(v, id, key)
		case "qualified":
			c.Qualified = d.boolean(v, id, key)
		case "title":
			c.Title = d.str(v, id, key)
		case "value":
			c.Value = d.str(v, id, key)
		case "currency":
			c.Currency = d.str(v, id, key)
		case "owner":
			c.Owner = d.str(v, id, key)
		case "pipeline":
			c.Pipeline = d.str(v, id, key)
		case "stage":
			c.Stage = d.str(v, id, key)
		case "labels":
			c.Labels = d.strs(v, id, key)
		case "note":
			c.Note = d.str(v, id, key)
		case "activity":
			c.Activity = &Activity{}
			d.fields(v, id, key, []string{"type", "subject", "due"}, func(sub string, _, v *yaml.Node) {
				path := key + "." + sub
				d.mark(base+path, v)
				switch sub {
				case "type":
					c.Activity.Type = d.str(v, id, path)
				case "subject":
					c.Activity.Subject = d.str(v, id, path)
				case "due":
					c.Activity.Due = d.str(v, id, path)
				}
			})
		case "restart":
			c.Restart = d.boolean(v, id, key)
		}
	})
	return c
}

func (d *decoder) next(n *yaml.Node, card, path string) *Next {
	base := "cards." + card + "." + path
	if n.Kind == yaml.ScalarNode {
		return &Next{Target: d.str(n, card, path)}
	}
	if n.Kind != yaml.SequenceNode {
		d.problem(n, card, path, "must be a card id or a list of {if, goto} branches, got %s", describe(n))
		return nil
	}
	nx := &Next{Branches: []Branch{}}
	for i, item := range n.Content {
		bp := fmt.Sprintf("%s[%d]", path, i)
		var b Branch
		d.doc.pos["cards."+card+"."+bp] = Pos{item.Line, item.Column}
		d.fields(item, card, bp, []string{"if", "goto"}, func(key string, _, v *yaml.Node) {
			d.mark(base+fmt.Sprintf("[%d].", i)+key, v)
			if key == "if" {
				b.If = d.str(v, card, bp+".if")
			} else {
				b.Goto = d.str(v, card, bp+".goto")
			}
		})
		nx.Branches = append(nx.Branches, b)
	}
	return nx
}

func (d *decoder) options(n *yaml.Node, card string) []Option {
	if n.Kind != yaml.SequenceNode {
		d.problem(n, card, "options", "must be a list of {label, value, next}, got %s", describe(n))
		return nil
	}
	opts := []Option{}
	for i, item := range n.Content {
		path := fmt.Sprintf("options[%d]", i)
		base := "cards." + card + "." + path
		d.doc.pos[base] = Pos{item.Line, item.Column}
		var o Option
		d.fields(item, card, path, []string{"label", "value", "next"}, func(key string, _, v *yaml.Node) {
			d.mark(base+"."+key, v)
			switch key {
			case "label":
				o.Label = d.text(v, card, path+".label")
			case "value":
				o.Value = d.scalar(v, card, path+".value")
			case "next":
				o.Next = d.next(v, card, path+".next")
			}
		})
		opts = append(opts, o)
	}
	return opts
}

func (d *decoder) formFields(n *yaml.Node, card string) []FormField {
	if n.Kind != yaml.SequenceNode {
		d.problem(n, card, "fields", "must be a list of {save, label, input, required}, got %s", describe(n))
		return nil
	}
	ffs := []FormField{}
	for i, item := range n.Content {
		path := fmt.Sprintf("fields[%d]", i)
		base := "cards." + card + "." + path
		d.doc.pos[base] = Pos{item.Line, item.Column}
		var f FormField
		d.fields(item, card, path, []string{"save", "label", "input", "required"}, func(key string, _, v *yaml.Node) {
			d.mark(base+"."+key, v)
			switch key {
			case "save":
				f.Save = d.str(v, card, path+".save")
			case "label":
				f.Label = d.text(v, card, path+".label")
			case "input":
				f.Input = InputKind(d.str(v, card, path+".input"))
			case "required":
				f.Required = d.boolean(v, card, path+".required")
			}
		})
		ffs = append(ffs, f)
	}
	return ffs
}

func (d *decoder) text(n *yaml.Node, card, path string) Text {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return Plain(n.Value)
	}
	if n.Kind != yaml.MappingNode {
		d.problem(n, card, path, "must be a text or a map of language to text, got %s", describe(n))
		return nil
	}
	t := Text{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case seen[k.Value]:
			d.problem(k, card, path+"."+k.Value, "duplicate language")
		case v.Kind != yaml.ScalarNode || v.Tag == "!!null":
			d.problem(v, card, path+"."+k.Value, "must be a text, got %s", describe(v))
		default:
			t = append(t, Translation{Lang: k.Value, Text: v.Value})
			if card != "" {
				d.mark("cards."+card+"."+path+"."+k.Value, v)
			} else {
				d.mark(path+"."+k.Value, v)
			}
			d.doc.pos[langKeyPath(card, path, k.Value)] = Pos{k.Line, k.Column}
		}
		seen[k.Value] = true
	}
	return t
}

func langKeyPath(card, path, lang string) string {
	if card != "" {
		return "cards." + card + "." + path + ".@" + lang
	}
	return path + ".@" + lang
}

func (d *decoder) str(n *yaml.Node, card, path string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.problem(n, card, path, "must be a text, got %s", describe(n))
		return ""
	}
	return n.Value
}

func (d *decoder) strs(n *yaml.Node, card, path string) []string {
	if n.Kind != yaml.SequenceNode {
		d.problem(n, card, path, "must be a list of texts, got %s", describe(n))
		return nil
	}
	out := []string{}
	for i, item := range n.Content {
		out = append(out, d.str(item, card, fmt.Sprintf("%s[%d]", path, i)))
	}
	return out
}

func (d *decoder) boolean(n *yaml.Node, card, path string) *bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.problem(n, card, path, "must be true or false, got %s", describe(n))
		return nil
	}
	b := n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
	return &b
}

// scalar reads an option value: a text, a number or a bool.
func (d *decoder) scalar(n *yaml.Node, card, path string) any {
	if n.Kind != yaml.ScalarNode {
		d.problem(n, card, path, "must be a text, a number or true/false, got %s", describe(n))
		return nil
	}
	switch n.Tag {
	case "!!int", "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err == nil {
			return f
		}
	case "!!bool":
		return *d.boolean(n, card, path)
	case "!!null":
		return nil
	}
	return n.Value
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return n.Value
	}
	return strconv.Quote(n.Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns ` (did you mean "x"?)` for the closest candidate, if any
// is close enough to be a likely typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(1, len(s)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance between a and b, with a swap of two
// neighbours counted as one edit (common in typos: "emial").
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
