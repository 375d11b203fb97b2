package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/livechat"
	"github.com/parley/parley/playbook"
)

// builderRoutes serve the playbook builder in the agent app. The browser
// edits the JSON form of the document (the same shape as the YAML) and never
// parses YAML itself: it converts through the server, which uses the same
// parser and exporter as the store, so the two views cannot disagree.
func (s *Server) builderRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/playbooks/templates", access: agent, tag: "playbooks", summary: "The sample playbooks a new playbook can start from", resp: templateOut{}, list: true, handler: s.listTemplates},
		{method: "POST", path: "/api/v1/playbooks/convert", access: agent, tag: "playbooks", summary: "Convert a document between YAML and its JSON model, with every problem located on its card (422 when it cannot be read)", body: convertInput{}, resp: convertResult{}, status: 200, handler: s.convertPlaybook},
		{method: "POST", path: "/api/v1/playbooks/preview-token", access: agent, tag: "playbooks", summary: "Issue a short-lived token to try a draft document (saved or not) in the real widget at /widget/v1/preview (422 when the draft is invalid)", body: previewTokenInput{}, resp: previewTokenOut{}, status: 201, handler: s.postPreviewToken},
		{method: "POST", path: "/api/v1/playbooks/:id/preview-token", access: agent, tag: "playbooks", summary: "Issue a short-lived token to try a playbook's draft in the real widget: the document sent, else the stored draft", body: previewTokenInput{}, resp: previewTokenOut{}, status: 201, handler: s.postPreviewToken},
		{method: "POST", path: "/api/v1/playbooks/preview", access: agent, tag: "playbooks", summary: "Run one step of a draft document in the interpreter, without storing anything (the builder's preview)", body: previewInput{}, resp: previewResult{}, status: 200, handler: s.previewPlaybook},
	}
}

// templateOut is one sample playbook.
type templateOut struct {
	Name        string `json:"name"`        // faq, live-chat, qualifier
	Title       string `json:"title"`       // the document's name
	Description string `json:"description"` // the comment at the top of the file
	Document    string `json:"document"`    // the YAML as shipped
}

func (s *Server) listTemplates(c *gin.Context) {
	tps := Templates()
	out := make([]templateOut, 0, len(tps))
	for _, tp := range tps {
		t := templateOut{Name: tp.Name, Title: tp.Name, Document: tp.Source, Description: leadingComment(tp.Source)}
		if doc, _ := playbook.Parse([]byte(tp.Source)); doc != nil && doc.Name != "" {
			t.Title = doc.Name
		}
		out = append(out, t)
	}
	s.respondList(c, out, allPage(len(out)), nil)
}

// leadingComment joins the comment lines a file starts with.
func leadingComment(src string) string {
	var parts []string
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, "#") {
			break
		}
		parts = append(parts, strings.TrimSpace(strings.TrimPrefix(t, "#")))
	}
	return strings.Join(parts, " ")
}

// convertInput carries exactly one of the two forms.
type convertInput struct {
	YAML     *string         `json:"yaml,omitempty"`     // the document as YAML (or JSON text)
	Document json.RawMessage `json:"document,omitempty"` // the JSON model
}

// problemOut is a playbook.Problem for the builder, which pins it on its card.
type problemOut struct {
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Card    string `json:"card"`
	Path    string `json:"path"`
	Message string `json:"message"`
	Warning bool   `json:"warning"`
}

// convertResult is the document in both forms. Problems are located in the
// YAML returned when the input was the JSON model, else in the YAML sent.
// Order lists the card ids in document order: a JSON object in a browser
// puts integer-like keys first, so the builder keeps the order apart.
type convertResult struct {
	Document json.RawMessage `json:"document"`
	YAML     string          `json:"yaml"`
	Order    []string        `json:"order"`
	Valid    bool            `json:"valid"`
	Problems []problemOut    `json:"problems"`
}

func problemsOut(ps playbook.Problems) []problemOut {
	out := make([]problemOut, 0, len(ps))
	for _, p := range ps {
		out = append(out, problemOut{Line: p.Line, Col: p.Col, Card: p.Card, Path: p.Path, Message: p.Message, Warning: p.Warning})
	}
	return out
}

// readDraft parses the document of a builder request: YAML text or the JSON
// model. A document that cannot be read without losing something (a syntax
// error, an unknown key, a wrong type) is refused with every problem, so a
// switch of views never drops a part of it silently.
func readDraft(yamlSrc *string, document json.RawMessage) (*playbook.Document, []byte, error) {
	var src []byte
	switch {
	case yamlSrc != nil && len(document) > 0:
		return nil, nil, errStatus(http.StatusBadRequest, "send either yaml or document, not both")
	case yamlSrc != nil:
		src = []byte(*yamlSrc)
	case len(document) > 0:
		if t := bytes.TrimSpace(document); len(t) == 0 || t[0] != '{' {
			return nil, nil, errField(http.StatusBadRequest, "document", "must be a JSON object")
		}
		src = document
	default:
		return nil, nil, errStatus(http.StatusBadRequest, "send yaml or document")
	}
	if len(bytes.TrimSpace(src)) == 0 {
		return nil, nil, &livechat.ProblemsError{Problems: playbook.Problems{{Line: 1, Col: 1, Message: "the document is empty"}}}
	}
	doc, probs := playbook.Parse(src)
	if doc == nil || len(probs.Errors()) > 0 {
		return nil, nil, &livechat.ProblemsError{Problems: probs}
	}
	return doc, src, nil
}

func (s *Server) convertPlaybook(c *gin.Context) {
	var in convertInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	doc, src, err := readDraft(in.YAML, in.Document)
	if err != nil {
		s.fail(c, err)
		return
	}
	y, err := playbook.Export(doc)
	if err != nil {
		s.fail(c, err)
		return
	}
	j, err := doc.MarshalJSON()
	if err != nil {
		s.fail(c, err)
		return
	}
	// Locate problems in what the author sees: the YAML they sent, or the
	// YAML the builder will show for the model.
	located := y
	if in.YAML != nil {
		located = src
	}
	_, probs := playbook.Load(located)
	out := convertResult{Document: j, YAML: string(y), Order: []string{}, Valid: len(probs.Errors()) == 0, Problems: problemsOut(probs)}
	for _, card := range doc.Cards {
		out.Order = append(out.Order, card.ID)
	}
	ok(c, http.StatusOK, out, nil)
}

// previewInput is one step of a preview conversation. The browser keeps the
// state between steps; nothing is stored and no capture reaches the CRM.
type previewInput struct {
	YAML     *string         `json:"yaml,omitempty"`
	Document json.RawMessage `json:"document,omitempty"`
	State    playbook.State  `json:"state"`
	Event    playbook.Event  `json:"event"`
	Env      previewEnv      `json:"env"`
}

// previewEnv is the pretend world of the preview.
type previewEnv struct {
	AgentsOnline int    `json:"agents_online"`
	InHours      *bool  `json:"in_hours,omitempty"` // default true
	Language     string `json:"language"`
	Visits       int    `json:"visits"`
	Path         string `json:"path"`
}

type previewResult struct {
	State   playbook.State   `json:"state"`
	Effects []map[string]any `json:"effects"` // each with its kind: bot_message, question, invalid, waiting, offline, captured, end, log
}

func (s *Server) previewPlaybook(c *gin.Context) {
	var in previewInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	_, src, err := readDraft(in.YAML, in.Document)
	if err != nil {
		s.fail(c, err)
		return
	}
	prog, probs := playbook.Load(src)
	if prog == nil {
		s.fail(c, &livechat.ProblemsError{Problems: probs})
		return
	}
	env := playbook.Env{
		Visitor:      playbook.Visitor{Visits: max(in.Env.Visits, 1), Returning: in.Env.Visits > 1, Language: in.Env.Language},
		Page:         playbook.Page{Path: in.Env.Path, URL: in.Env.Path},
		AgentsOnline: in.Env.AgentsOnline,
		InHours:      in.Env.InHours == nil || *in.Env.InHours,
		Now:          s.now(),
	}
	st, effects, err := prog.Step(in.State, in.Event, env)
	if err != nil {
		s.fail(c, errStatus(http.StatusConflict, strings.TrimPrefix(err.Error(), "playbook: ")))
		return
	}
	out := previewResult{State: st, Effects: make([]map[string]any, 0, len(effects))}
	for _, e := range effects {
		b, err := json.Marshal(e)
		if err != nil {
			s.fail(c, err)
			return
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			s.fail(c, err)
			return
		}
		m["kind"] = e.Kind()
		out.Effects = append(out.Effects, m)
	}
	ok(c, http.StatusOK, out, nil)
}

// previewTokenInput is the draft to preview: YAML text or the JSON model.
// For /playbooks/:id/preview-token both may be left out: the stored draft.
type previewTokenInput struct {
	YAML     *string         `json:"yaml,omitempty"`
	Document json.RawMessage `json:"document,omitempty"`
}

// previewTokenOut is a preview token and the page that runs it.
type previewTokenOut struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	URL       string    `json:"url"` // same origin as the API: /widget/v1/preview?token=…
}

// postPreviewToken issues a preview token for a draft. The token is random
// and stored hashed with the draft as sent and a 30-minute expiry (see
// livechat.CreatePreviewToken), rather than an HMAC over the playbook id:
// an unsaved document has no id, and the draft must not change under a
// running preview when the author keeps editing.
func (s *Server) postPreviewToken(c *gin.Context) {
	if s.live == nil {
		s.fail(c, errStatus(http.StatusNotFound, "live chat is not enabled"))
		return
	}
	ctx := c.Request.Context()
	var pbID *int64
	if c.Param("id") != "" {
		id, err := pathID(c, "id")
		if err != nil {
			s.fail(c, err)
			return
		}
		pbID = &id
	}
	var in previewTokenInput
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &in); err != nil {
			s.fail(c, err)
			return
		}
	}
	var src []byte
	if in.YAML == nil && len(in.Document) == 0 && pbID != nil {
		p, err := s.live.GetPlaybook(ctx, *pbID)
		if err != nil {
			s.fail(c, err)
			return
		}
		src = []byte(p.Draft)
	} else {
		_, b, err := readDraft(in.YAML, in.Document)
		if err != nil {
			s.fail(c, err)
			return
		}
		src = b
		if pbID != nil {
			if _, err := s.live.GetPlaybook(ctx, *pbID); err != nil {
				s.fail(c, err)
				return
			}
		}
	}
	tok, err := s.live.CreatePreviewToken(ctx, me(c).ID, pbID, src)
	if err != nil {
		s.fail(c, err)
		return
	}
	ok(c, http.StatusCreated, previewTokenOut{Token: tok.Token, ExpiresAt: tok.ExpiresAt, URL: "/widget/v1/preview?token=" + url.QueryEscape(tok.Token)}, nil)
}
