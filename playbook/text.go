package playbook

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
)

// MaxTextSize bounds each translation of a text.
const MaxTextSize = 4096

// ctext is a compiled translatable text.
type ctext []ctrans

type ctrans struct {
	lang string
	tpl  *template
}

// pick resolves the text for a language: the exact language, then its base
// language (pt-BR → pt), then the playbook's language, then a plain string,
// then whatever comes first.
func (t ctext) pick(lang, def string) *template {
	if len(t) == 0 {
		return nil
	}
	if len(t) == 1 {
		return t[0].tpl
	}
	base, _, _ := strings.Cut(lang, "-")
	for _, want := range []string{lang, base, def, ""} {
		for _, tr := range t {
			if strings.EqualFold(tr.lang, want) {
				return tr.tpl
			}
		}
	}
	return t[0].tpl
}

// pickLang finds the language a conversation speaks: the visitor's when the
// playbook has texts in it (or in its base language), else the playbook's.
func pickLang(visitor string, available map[string]bool, def string) string {
	if visitor == "" {
		return def
	}
	l := strings.ToLower(visitor)
	if available[l] {
		return l
	}
	if base, _, ok := strings.Cut(l, "-"); ok && available[base] {
		return base
	}
	return def
}

// template is a text with {{ expression }} parts. Its HTML is rendered once,
// at compile time, with each expression replaced by a placeholder; at run
// time the escaped values take the placeholders' places, so values are
// never read as markdown or HTML.
type template struct {
	lits  []string      // len(progs)+1 literal parts of the source
	progs []*vm.Program // the expressions between them
	srcs  []string
	html  []string // rendered HTML around the placeholders
	slots []int    // which expression goes into each gap of html
}

// placeholder marks expression i in the markdown source; private-use
// characters never reach the renderer otherwise (they are stripped).
func placeholder(i int) string { return string(rune(0xE000 + i)) }

const maxTemplateParts = 64

// templateError is a problem in a text, at a byte offset of the text.
type templateError struct {
	off int
	err *exprError
}

func compileTemplate(src string, env types.Map) (*template, *templateError) {
	src = strings.Map(func(r rune) rune {
		if r >= 0xE000 && r <= 0xF8FF {
			return -1
		}
		return r
	}, src)
	t := &template{}
	rest, off := src, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.lits = append(t.lits, rest)
			break
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, &templateError{off: off + i, err: &exprError{msg: "{{ is not closed with }}"}}
		}
		if len(t.progs) == maxTemplateParts {
			return nil, &templateError{off: off + i, err: &exprError{msg: fmt.Sprintf("more than %d {{ }} in one text", maxTemplateParts)}}
		}
		code := rest[i+2 : i+j]
		prog, err := compileExpr(code, env, wantAny)
		if err != nil {
			return nil, &templateError{off: off + i + 2, err: err}
		}
		t.lits = append(t.lits, rest[:i])
		t.progs = append(t.progs, prog)
		t.srcs = append(t.srcs, strings.TrimSpace(code))
		rest, off = rest[i+j+2:], off+i+j+2
	}
	var md strings.Builder
	for i, lit := range t.lits {
		md.WriteString(lit)
		if i < len(t.progs) {
			md.WriteString(placeholder(i))
		}
	}
	rendered := RenderMarkdown(md.String())
	for {
		k, slot := -1, 0
		for i := range t.progs {
			if p := strings.Index(rendered, placeholder(i)); p >= 0 && (k < 0 || p < k) {
				k, slot = p, i
			}
		}
		if k < 0 {
			t.html = append(t.html, rendered)
			break
		}
		t.html = append(t.html, rendered[:k])
		t.slots = append(t.slots, slot)
		rendered = rendered[k+utf8.RuneLen(rune(0xE000+slot)):]
	}
	return t, nil
}

// render interpolates the template. A failing expression renders as
// nothing and is reported through fail.
func (t *template) render(vars map[string]any, fail func(src string, err error)) (text, html string) {
	if t == nil {
		return "", ""
	}
	if len(t.progs) == 0 {
		return t.lits[0], t.html[0]
	}
	vals := make([]string, len(t.progs))
	var b strings.Builder
	for i, prog := range t.progs {
		v, err := run(prog, vars)
		if err != nil {
			fail(t.srcs[i], err)
		}
		vals[i] = format(v)
		b.WriteString(t.lits[i])
		b.WriteString(vals[i])
	}
	b.WriteString(t.lits[len(t.progs)])
	text = b.String()
	b.Reset()
	for i, h := range t.html {
		b.WriteString(h)
		if i < len(t.slots) {
			b.WriteString(escapeHTML(vals[t.slots[i]]))
		}
	}
	return text, b.String()
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

func escapeHTML(s string) string { return htmlEscaper.Replace(s) }

// Default texts, for when a card does not say. Each exists in every
// language the bot speaks out of the box.
var defaults = map[string]map[string]string{
	"en": {
		"required":     "Please answer this one.",
		"option":       "Please choose one of the options.",
		"email":        "That doesn't look like an email address. Could you check it?",
		"phone":        "That doesn't look like a phone number. Could you check it?",
		"number":       "Please answer with a number.",
		"url":          "That doesn't look like a web address (like example.com).",
		"date":         "Please give a date, like 2026-12-02.",
		"name":         "Please give your name.",
		"organization": "Please give the name of your organization.",
		"text":         "That answer is too long.",
		"online":       "Connecting you with a person…",
		"offline":      "Nobody is available right now.",
	},
	"fr": {
		"required":     "Merci de répondre à cette question.",
		"option":       "Merci de choisir une des options.",
		"email":        "Cette adresse e-mail ne semble pas valide. Pouvez-vous vérifier ?",
		"phone":        "Ce numéro de téléphone ne semble pas valide. Pouvez-vous vérifier ?",
		"number":       "Merci de répondre par un nombre.",
		"url":          "Cette adresse web ne semble pas valide (par exemple exemple.fr).",
		"date":         "Merci d'indiquer une date, par exemple 02/12/2026.",
		"name":         "Merci d'indiquer votre nom.",
		"organization": "Merci d'indiquer le nom de votre organisation.",
		"text":         "Cette réponse est trop longue.",
		"online":       "Je vous mets en relation avec une personne…",
		"offline":      "Personne n'est disponible pour le moment.",
	},
	"es": {
		"required":     "Por favor, responde a esta pregunta.",
		"option":       "Por favor, elige una de las opciones.",
		"email":        "Ese correo electrónico no parece válido. ¿Puedes revisarlo?",
		"phone":        "Ese número de teléfono no parece válido. ¿Puedes revisarlo?",
		"number":       "Por favor, responde con un número.",
		"url":          "Esa dirección web no parece válida (por ejemplo ejemplo.es).",
		"date":         "Por favor, indica una fecha, por ejemplo 02/12/2026.",
		"name":         "Por favor, indica tu nombre.",
		"organization": "Por favor, indica el nombre de tu organización.",
		"text":         "Esa respuesta es demasiado larga.",
		"online":       "Te pongo en contacto con una persona…",
		"offline":      "No hay nadie disponible ahora mismo.",
	},
	"pt": {
		"required":     "Por favor, responda a esta pergunta.",
		"option":       "Por favor, escolha uma das opções.",
		"email":        "Esse e-mail não parece válido. Pode verificar?",
		"phone":        "Esse número de telefone não parece válido. Pode verificar?",
		"number":       "Por favor, responda com um número.",
		"url":          "Esse endereço web não parece válido (por exemplo exemplo.com.br).",
		"date":         "Por favor, indique uma data, por exemplo 02/12/2026.",
		"name":         "Por favor, indique o seu nome.",
		"organization": "Por favor, indique o nome da sua organização.",
		"text":         "Essa resposta é muito longa.",
		"online":       "Vou colocá-lo em contato com uma pessoa…",
		"offline":      "Não há ninguém disponível agora.",
	},
}

// defaultText returns the default text key in lang, falling back to the
// playbook's language and then English.
func defaultText(key, lang, def string) string {
	base, _, _ := strings.Cut(lang, "-")
	for _, l := range []string{lang, base, def, "en"} {
		if t, ok := defaults[strings.ToLower(l)][key]; ok {
			return t
		}
	}
	return key
}

// textLine maps a byte offset in a text to a line offset and a column (in
// runes) within that line, for problem positions.
func textLine(s string, off int) (line, col int) {
	off = min(off, len(s))
	before := s[:off]
	line = strings.Count(before, "\n")
	if k := strings.LastIndexByte(before, '\n'); k >= 0 {
		before = before[k+1:]
	}
	return line, utf8.RuneCountInString(before)
}
