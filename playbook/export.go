package playbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Export writes doc as canonical YAML: document order of cards and
// translations, keys in a fixed order per card type, short maps (options,
// form fields, bot, activity) in flow style. Parse(Export(doc)) gives doc
// back.
func Export(doc *Document) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	n := doc.node()
	restore := protectAstral(n)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if restore != nil {
		return []byte(restore.Replace(buf.String())), nil
	}
	return buf.Bytes(), nil
}

// MarshalJSON writes the document in the same shape as its YAML, cards and
// keys in document order, for the API and the builder.
func (d *Document) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, d.node()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalJSON parses a JSON document; its error is the Problems found
// while reading it (not the full validation: use Compile for that).
func (d *Document) UnmarshalJSON(data []byte) error {
	doc, probs := Parse(data)
	if errs := probs.Errors(); len(errs) > 0 {
		return errs
	}
	*d = *doc
	return nil
}

type mapNode struct{ n *yaml.Node }

func newMap(flow bool) mapNode {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return mapNode{n}
}

func (m mapNode) add(key string, v *yaml.Node) {
	if v != nil {
		m.n.Content = append(m.n.Content, strNode(key), v)
	}
}

func (m mapNode) str(key, v string) {
	if v != "" {
		m.add(key, strNode(v))
	}
}

func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func boolNode(b *bool) *yaml.Node {
	if b == nil {
		return nil
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(*b)}
}

func valueNode(v any) *yaml.Node {
	switch v := v.(type) {
	case string:
		return strNode(v)
	case bool:
		return boolNode(&v)
	case float64:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		tag := "!!int"
		if strings.Contains(s, ".") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s}
	}
	return nil
}

func strsNode(ss []string) *yaml.Node {
	if ss == nil {
		return nil
	}
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, s := range ss {
		n.Content = append(n.Content, strNode(s))
	}
	return n
}

func textNode(t Text) *yaml.Node {
	switch {
	case t == nil:
		return nil
	case len(t) == 1 && t[0].Lang == "":
		return strNode(t[0].Text)
	}
	m := newMap(len(t) == 0)
	for _, tr := range t {
		m.add(tr.Lang, strNode(tr.Text))
	}
	return m.n
}

func nextNode(nx *Next) *yaml.Node {
	if nx == nil {
		return nil
	}
	if nx.Branches == nil {
		return strNode(nx.Target)
	}
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, b := range nx.Branches {
		m := newMap(false)
		m.str("if", b.If)
		m.str("goto", b.Goto)
		n.Content = append(n.Content, m.n)
	}
	return n
}

// flowable says whether a map of scalars reads well on one line.
func flowable(n *yaml.Node) bool {
	width := 0
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode || strings.Contains(c.Value, "\n") {
			return false
		}
		width += len(c.Value) + 4
	}
	return width <= 100
}

func flowIfShort(m mapNode) *yaml.Node {
	if flowable(m.n) {
		m.n.Style = yaml.FlowStyle
	}
	return m.n
}

func (d *Document) node() *yaml.Node {
	m := newMap(false)
	m.str("id", d.ID)
	m.str("name", d.Name)
	m.str("language", d.Language)
	if d.Bot != nil {
		b := newMap(true)
		b.str("name", d.Bot.Name)
		b.str("avatar", d.Bot.Avatar)
		m.add("bot", b.n)
	}
	if t := d.Trigger; t != nil {
		tm := newMap(false)
		tm.str("on", t.On)
		tm.str("after", t.After)
		if t.Pages != nil {
			p := newMap(true)
			p.add("include", strsNode(t.Pages.Include))
			p.add("exclude", strsNode(t.Pages.Exclude))
			tm.add("pages", p.n)
		}
		tm.str("when", t.When)
		if t.Priority != 0 {
			tm.add("priority", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(t.Priority)})
		}
		m.add("trigger", flowIfShort(tm))
	}
	if d.Fields != nil {
		f := newMap(false)
		for _, fd := range d.Fields {
			f.add(fd.Name, strNode(string(fd.Type)))
		}
		m.add("fields", f.n)
	}
	m.str("start", d.Start)
	cards := newMap(false)
	for _, c := range d.Cards {
		cards.add(c.ID, c.node())
	}
	m.add("cards", cards.n)
	return m.n
}

func (c *Card) node() *yaml.Node {
	m := newMap(false)
	m.str("type", string(c.Type))
	m.add("text", textNode(c.Text))
	if c.Options != nil {
		opts := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, o := range c.Options {
			om := newMap(false)
			om.add("label", textNode(o.Label))
			om.add("value", valueNode(o.Value))
			om.add("next", nextNode(o.Next))
			opts.Content = append(opts.Content, flowIfShort(om))
		}
		m.add("options", opts)
	}
	m.str("input", string(c.Input))
	if c.Fields != nil {
		fs := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, f := range c.Fields {
			fm := newMap(false)
			fm.str("save", f.Save)
			fm.add("label", textNode(f.Label))
			fm.str("input", string(f.Input))
			fm.add("required", boolNode(f.Required))
			fs.Content = append(fs.Content, flowIfShort(fm))
		}
		m.add("fields", fs)
	}
	m.str("save", c.Save)
	m.add("required", boolNode(c.Required))
	m.add("invalid", textNode(c.Invalid))
	m.add("online_message", textNode(c.OnlineMessage))
	m.str("wait", c.Wait)
	m.add("offline_message", textNode(c.OfflineMessage))
	m.str("offline", c.Offline)
	m.str("create", c.Create)
	m.add("qualified", boolNode(c.Qualified))
	m.str("title", c.Title)
	m.str("value", c.Value)
	m.str("currency", c.Currency)
	m.str("owner", c.Owner)
	m.str("group", c.Group)
	m.str("pipeline", c.Pipeline)
	m.str("stage", c.Stage)
	m.add("labels", strsNode(c.Labels))
	m.str("note", c.Note)
	if a := c.Activity; a != nil {
		am := newMap(false)
		am.str("type", a.Type)
		am.str("subject", a.Subject)
		am.str("due", a.Due)
		m.add("activity", flowIfShort(am))
	}
	m.add("restart", boolNode(c.Restart))
	m.add("next", nextNode(c.Next))
	return m.n
}

// writeJSON writes the node tree as JSON, keeping the order of map keys.
func writeJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, n.Content[i]); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := writeJSON(buf, n.Content[i+1]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int", "!!float", "!!bool":
			buf.WriteString(n.Value)
		default:
			b, err := json.Marshal(n.Value)
			if err != nil {
				return err
			}
			buf.Write(b)
		}
	default:
		return errors.New("playbook: cannot write this node as JSON")
	}
	return nil
}
