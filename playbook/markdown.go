package playbook

import (
	"html"
	"regexp"
	"strconv"
	"strings"
)

// RenderMarkdown renders the playbook markdown subset as HTML: **bold**,
// *italic* or _italic_, [links](https://…) (http, https and mailto only),
// ![images](https://…) (http and https only), "- " bullet lists and line
// breaks. The input is HTML-escaped first, so whatever it contains — a
// visitor's answer included — can only come out as text.
func RenderMarkdown(s string) string {
	s = html.EscapeString(strings.NewReplacer("\r\n", "\n", "\x00", "").Replace(s))
	var b strings.Builder
	inList := false
	for i, line := range strings.Split(s, "\n") {
		item, isItem := strings.CutPrefix(strings.TrimLeft(line, " "), "- ")
		if !isItem {
			item, isItem = strings.CutPrefix(strings.TrimLeft(line, " "), "* ")
		}
		switch {
		case isItem:
			if !inList {
				b.WriteString("<ul>")
				inList = true
			}
			b.WriteString("<li>")
			b.WriteString(inline(item))
			b.WriteString("</li>")
		default:
			if inList {
				b.WriteString("</ul>")
				inList = false
			} else if i > 0 {
				b.WriteString("<br>")
			}
			b.WriteString(inline(line))
		}
	}
	if inList {
		b.WriteString("</ul>")
	}
	return b.String()
}

var (
	mdImage   = regexp.MustCompile(`!\[([^\]]*)\]\(([^()\s]+)\)`)
	mdLink    = regexp.MustCompile(`\[([^\]]+)\]\(([^()\s]+)\)`)
	mdBold    = regexp.MustCompile(`\*\*([^*\s](?:[^*]*[^*\s])?)\*\*`)
	mdStar    = regexp.MustCompile(`(^|[^\w*])\*([^*\s](?:[^*]*[^*\s])?)\*`)
	mdUnder   = regexp.MustCompile(`(^|[^\w])_([^_\s](?:[^_]*[^_\s])?)_`)
	mdStashed = regexp.MustCompile("\x00([0-9]+)\x00")
)

// inline applies the span rules to an already escaped line. URLs were
// escaped with the rest, so they cannot close the attribute they land in;
// finished tags are set aside while emphasis runs so it cannot touch them.
func inline(s string) string {
	var stash []string
	set := func(h string) string {
		stash = append(stash, h)
		return "\x00" + strconv.Itoa(len(stash)-1) + "\x00"
	}
	s = mdImage.ReplaceAllStringFunc(s, func(m string) string {
		p := mdImage.FindStringSubmatch(m)
		if !allowedURL(p[2], false) {
			return m
		}
		return set(`<img src="` + p[2] + `" alt="` + p[1] + `">`)
	})
	s = mdLink.ReplaceAllStringFunc(s, func(m string) string {
		p := mdLink.FindStringSubmatch(m)
		if !allowedURL(p[2], true) {
			return m
		}
		return set(`<a href="` + p[2] + `" target="_blank" rel="noopener nofollow">` + emphasis(p[1]) + `</a>`)
	})
	s = emphasis(s)
	return mdStashed.ReplaceAllStringFunc(s, func(m string) string {
		i, _ := strconv.Atoi(m[1 : len(m)-1])
		return stash[i]
	})
}

func emphasis(s string) string {
	s = mdBold.ReplaceAllString(s, "<strong>$1</strong>")
	s = mdStar.ReplaceAllString(s, "$1<em>$2</em>")
	return mdUnder.ReplaceAllString(s, "$1<em>$2</em>")
}

func allowedURL(u string, mailto bool) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") ||
		(mailto && strings.HasPrefix(l, "mailto:"))
}
