package playbook

import (
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var inputKinds = []string{"text", "email", "phone", "number", "url", "date", "name", "organization"}

const maxAnswerLen = 1000

// checkInput validates and normalizes a typed answer. It returns the value
// to store (a string, or a float64 for numbers) and whether it is valid.
// lang decides how an ambiguous date such as 02/12/2026 reads.
func checkInput(kind InputKind, s, lang string) (any, bool) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > maxAnswerLen {
		return nil, false
	}
	switch kind {
	case InputEmail:
		return checkEmail(s)
	case InputPhone:
		return checkPhone(s)
	case InputNumber:
		return checkNumber(s)
	case InputURL:
		return checkURL(s)
	case InputDate:
		return checkDate(s, lang)
	case InputName:
		if len(s) > 200 || strings.ContainsAny(s, "@<>{}") || !strings.ContainsFunc(s, unicode.IsLetter) {
			return nil, false
		}
		return strings.Join(strings.Fields(s), " "), true
	case InputOrganization:
		if len(s) > 200 {
			return nil, false
		}
		return strings.Join(strings.Fields(s), " "), true
	}
	return s, true
}

func checkEmail(s string) (any, bool) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return nil, false
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") || strings.ContainsAny(s, " \t") {
		return nil, false
	}
	return local + "@" + strings.ToLower(domain), true
}

// checkPhone accepts E.164 and the usual written forms: digits with
// spaces, dots, dashes and parentheses, optionally a leading +, 6 to 20
// digits. It stores digits only, keeping the +.
func checkPhone(s string) (any, bool) {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case strings.ContainsRune(" .-()/", r):
		default:
			return nil, false
		}
	}
	n := strings.TrimPrefix(b.String(), "+")
	if len(n) < 6 || len(n) > 20 {
		return nil, false
	}
	return b.String(), true
}

// checkNumber parses "12", "12.5", "12,5" (decimal comma), "1 000" and
// "1,000.50".
func checkNumber(s string) (any, bool) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "_", "").Replace(s)
	if strings.Contains(s, ".") {
		s = strings.ReplaceAll(s, ",", "")
	} else if strings.Count(s, ",") == 1 {
		s = strings.Replace(s, ",", ".", 1)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f || f > 1e15 || f < -1e15 || strings.ContainsAny(s, "xXpPiInN") {
		return nil, false
	}
	return f, true
}

// checkURL accepts http(s) URLs and bare domains, which it completes with
// https://.
func checkURL(s string) (any, bool) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.Contains(u.Hostname(), ".") ||
		strings.ContainsAny(u.Host, " ") {
		return nil, false
	}
	return u.String(), true
}

var dateParts = regexp.MustCompile(`^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})$`)

// checkDate accepts ISO dates and the locale forms d/m/y and m/d/y, with
// /, . or -, and returns the ISO form.
func checkDate(s, lang string) (any, bool) {
	m := dateParts.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	c, _ := strconv.Atoi(m[3])
	var y, mo, d int
	switch {
	case len(m[1]) == 4:
		y, mo, d = a, b, c
	case len(m[3]) == 4:
		// Day first, as most of the world writes it, unless the order is
		// plain (13/02 can only be day first, 02/13 only month first) or
		// the visitor writes US English.
		y, mo, d = c, b, a
		if b > 12 || (a <= 12 && strings.EqualFold(lang, "en-US")) {
			mo, d = a, b
		}
	default:
		return nil, false
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != mo || t.Day() != d {
		return nil, false // 31/02 and friends
	}
	return t.Format("2006-01-02"), true
}

// parseBool reads a yes/no answer saved into a bool field.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "1", "oui", "sí", "si", "sim":
		return true, true
	case "false", "no", "n", "0", "non", "não", "nao":
		return false, true
	}
	return false, false
}

// CheckInput validates and normalizes s as the interpreter does a typed
// answer of this kind (an email's domain lower-cased, a phone's digits
// kept with its +), for other forms that ask the same things, such as a
// site's pre-chat form.
func CheckInput(kind InputKind, s, lang string) (any, bool) { return checkInput(kind, s, lang) }
