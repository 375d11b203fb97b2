package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/livechat"
)

// conversationRoutes are the live chat page's commands and reads. The
// visibility rule of livechat.md is enforced here for every call: a
// conversation an agent may not see answers 404, exactly like one that does
// not exist, so its existence does not leak; one it may see but not act on
// (write in a chat it does not hold) answers 403. The one exception is
// "assign to me" on a chat someone else just took: the loser of that race
// gets 409 naming the winner, which is what the page shows.
func (s *Server) conversationRoutes() []route {
	if s.live == nil {
		return nil
	}
	return append([]route{
		{method: "GET", path: "/api/v1/conversations", access: agent, tag: "conversations", summary: "List conversations of a folder, newest activity first (agents: unassigned, mine, closed; admins also all)", resp: conversationView{}, list: true,
			query: []param{{"folder", "string", "unassigned (default for agents), mine, closed or all (admins; their default)"}, {"state", "string", "only this state: bot, waiting, active, offline, closed"},
				{"start", "integer", "offset of the first item (default 0)"}, {"limit", "integer", "items per page (default 100, max 500)"}},
			handler: s.listConversations},
		{method: "GET", path: "/api/v1/conversations/:id", access: agent, tag: "conversations", summary: "Get a conversation with its visitor and what the bot collected", resp: conversationView{}, handler: s.getConversation},
		{method: "GET", path: "/api/v1/conversations/:id/events", access: agent, tag: "conversations", summary: "The conversation's timeline after after_seq, in order (agents see system events too)", resp: livechat.Event{}, list: true,
			query: []param{{"after_seq", "integer", "only events with a larger seq (default 0)"}}, handler: s.listConversationEvents},
		{method: "POST", path: "/api/v1/conversations/:id/messages", access: agent, tag: "conversations", summary: "Send a message as the assignee; a repeated client_id returns the first ack", body: messageInput{}, resp: livechat.Ack{}, handler: s.postConversationMessage},
		{method: "PATCH", path: "/api/v1/conversations/:id/messages/:seq", access: agent, tag: "conversations", summary: "Edit my last message in a conversation I hold", body: editInput{}, resp: livechat.Event{}, handler: s.patchConversationMessage},
		{method: "POST", path: "/api/v1/conversations/:id/assign", access: agent, tag: "conversations", summary: "Assign: my id claims it (409 to the loser of a race), another id reassigns (admins or the assignee), null gives it back to the queue", body: assignInput{}, resp: conversationView{}, handler: s.postAssign},
		{method: "POST", path: "/api/v1/conversations/:id/close", access: agent, tag: "conversations", summary: "Close a conversation for good (409 when already closed)", resp: conversationView{}, handler: s.postClose},
		{method: "POST", path: "/api/v1/conversations/:id/lead", access: agent, tag: "conversations", summary: "Create a lead from the side panel (also on closed conversations); once per conversation, later calls return it", body: livechat.PanelInput{}, resp: livechat.PanelResult{}, handler: s.postPanel("lead")},
		{method: "POST", path: "/api/v1/conversations/:id/deal", access: agent, tag: "conversations", summary: "Create a deal from the side panel (also on closed conversations); once per conversation, later calls return it", body: livechat.PanelInput{}, resp: livechat.PanelResult{}, handler: s.postPanel("deal")},
		{method: "POST", path: "/api/v1/conversations/:id/typing", access: agent, tag: "conversations", summary: "Tell the visitor the assignee is typing", resp: okResult{}, handler: s.postTyping},
		{method: "POST", path: "/api/v1/conversations/:id/read", access: agent, tag: "conversations", summary: "Mark the visitor's messages read (the assignee or an admin)", resp: okResult{}, handler: s.postRead},
		{method: "GET", path: "/api/v1/visitors", access: agent, tag: "visitors", summary: "Visitors seen recently, most recent first", resp: visitorView{}, list: true,
			query:   []param{{"online", "boolean", "only visitors seen in the last 5 minutes (default: the last 24 hours)"}, {"limit", "integer", "at most this many (default 100, max 500)"}},
			handler: s.listVisitors},
		{method: "GET", path: "/api/v1/realtime", access: agent, tag: "realtime", summary: "The agent socket (WebSocket upgrade): send {type: hello, last_event}, receive the visible events since then, then live", resp: okResult{}, handler: s.agentSocket},
	}, append(s.savedReplyRoutes(), s.settingsRoutes()...)...)
}

// okResult answers commands that return nothing else.
type okResult struct {
	OK bool `json:"ok"`
}

type messageInput struct {
	ClientID string `json:"client_id"`
	Text     string `json:"text"`
}

type editInput struct {
	Text string `json:"text"`
}

// assignInput is {"user_id": N} or {"user_id": null}; the field is required
// so that a forgotten body does not silently unassign.
type assignInput struct {
	UserID crm.Nullable[int64] `json:"user_id"`
}

// userRef is how a conversation names its assignee.
type userRef struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Avatar string `json:"avatar"`
}

// contactDetails is what the playbook collected, to prefill the side panel.
type contactDetails struct {
	Person       map[string]string `json:"person"`
	Organization map[string]string `json:"organization"`
	Deal         struct {
		Value             *float64 `json:"value"`
		ExpectedCloseDate string   `json:"expected_close_date"`
	} `json:"deal"`
}

type preview struct {
	Kind   string    `json:"kind"`
	Text   string    `json:"text"`
	Author string    `json:"author"`
	At     time.Time `json:"at"`
}

type playbookRef struct {
	ID      *int64 `json:"id"`
	Version int    `json:"version"`
}

// conversationView is a conversation as the API shows it.
type conversationView struct {
	livechat.Conversation
	Playbook playbookRef       `json:"playbook"`
	Visitor  *livechat.Visitor `json:"visitor"`
	Assignee *userRef          `json:"assignee"`
	Contact  contactDetails    `json:"contact"`
	Preview  *preview          `json:"preview"`
}

type visitorView struct {
	livechat.Visitor
	ConversationID *string `json:"conversation_id"`
}

// viewer caches what building several views needs more than once.
type viewer struct {
	s        *Server
	ctx      context.Context
	users    map[int64]*userRef
	visitors map[int64]*livechat.Visitor
}

func (s *Server) viewer(ctx context.Context) *viewer {
	return &viewer{s: s, ctx: ctx, users: map[int64]*userRef{}, visitors: map[int64]*livechat.Visitor{}}
}

func (v *viewer) view(c livechat.Conversation) (conversationView, error) {
	out := conversationView{Conversation: c, Playbook: playbookRef{ID: c.PlaybookID, Version: c.PlaybookVersion}}
	out.Contact.Person, out.Contact.Organization = c.Interp.Person, c.Interp.Organization
	out.Contact.Deal.Value, out.Contact.Deal.ExpectedCloseDate = c.Interp.Deal.Value, c.Interp.Deal.ExpectedCloseDate
	if vis, ok := v.visitors[c.VisitorID]; ok {
		out.Visitor = vis
	} else {
		vis, err := v.s.live.GetVisitor(v.ctx, c.VisitorID)
		if err != nil && !errors.Is(err, crm.ErrNotFound) {
			return out, err
		}
		if err == nil {
			out.Visitor = &vis
		}
		v.visitors[c.VisitorID] = out.Visitor
	}
	if c.AssigneeID != nil {
		if u, ok := v.users[*c.AssigneeID]; ok {
			out.Assignee = u
		} else {
			u, err := v.s.crm.GetUser(v.ctx, *c.AssigneeID)
			if err != nil && !errors.Is(err, crm.ErrNotFound) {
				return out, err
			}
			if err == nil {
				out.Assignee = &userRef{ID: u.ID, Name: u.Name, Avatar: u.Avatar}
			}
			v.users[*c.AssigneeID] = out.Assignee
		}
	}
	e, err := v.s.live.LastPreview(v.ctx, c.ID)
	switch {
	case err == nil:
		out.Preview = &preview{Kind: e.Kind, Text: eventText(e), Author: e.Author, At: e.At}
	case !errors.Is(err, crm.ErrNotFound):
		return out, err
	}
	return out, nil
}

// eventText is the plain text of a message-like event (never its html).
func eventText(e livechat.Event) string {
	var d struct {
		Text  string `json:"text"`
		Label string `json:"label"`
		Value any    `json:"value"`
	}
	_ = json.Unmarshal(e.Data, &d)
	if e.Kind == livechat.KindAnswer {
		if d.Label != "" {
			return d.Label
		}
		if d.Value != nil {
			return fmt.Sprint(d.Value)
		}
	}
	return d.Text
}

// visible loads a conversation the caller may see; any other is 404.
func (s *Server) visibleConversation(c *gin.Context) (livechat.Conversation, error) {
	conv, err := s.live.GetConversation(c.Request.Context(), c.Param("id"))
	if err != nil {
		return conv, err
	}
	u := me(c)
	if !livechat.CanSee(conv, u.ID, u.IsAdmin()) {
		return livechat.Conversation{}, errStatus(http.StatusNotFound, fmt.Sprintf("conversation %q not found", c.Param("id")))
	}
	return conv, nil
}

func (s *Server) respondConversation(c *gin.Context, conv livechat.Conversation, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.viewer(c.Request.Context()).view(conv)
	s.respond(c, http.StatusOK, v, err)
}

func (s *Server) listConversations(c *gin.Context) {
	q := newQuery(c)
	u := me(c)
	f := livechat.ConversationFilter{AgentID: u.ID}
	if v := q.Str("folder"); v != nil {
		f.Folder = *v
	}
	if v := q.Str("state"); v != nil {
		f.State = *v
	}
	lp := q.List()
	if err := q.Err(); err != nil {
		s.fail(c, err)
		return
	}
	switch {
	case f.Folder == "" && u.IsAdmin():
		f.Folder = "all"
	case f.Folder == "":
		f.Folder = "unassigned"
	case f.Folder == "all" && !u.IsAdmin():
		s.fail(c, errStatus(http.StatusForbidden, "only admins may list all conversations"))
		return
	}
	f.Start, f.Limit = lp.Start, lp.Limit
	if f.Limit <= 0 || f.Limit > crm.MaxLimit {
		f.Limit = crm.DefaultLimit
	}
	convs, err := s.live.ListConversations(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	vw := s.viewer(c.Request.Context())
	out := make([]conversationView, 0, len(convs))
	for _, conv := range convs {
		// The folders already follow the visibility rule; checking again
		// keeps a future folder from leaking by mistake.
		if !livechat.CanSee(conv, u.ID, u.IsAdmin()) {
			continue
		}
		v, err := vw.view(conv)
		if err != nil {
			s.fail(c, err)
			return
		}
		out = append(out, v)
	}
	page := crm.Page{Start: f.Start, Limit: f.Limit, More: len(convs) == f.Limit}
	if page.More {
		next := f.Start + f.Limit
		page.NextStart = &next
	}
	s.respondList(c, out, page, nil)
}

func (s *Server) getConversation(c *gin.Context) {
	conv, err := s.visibleConversation(c)
	s.respondConversation(c, conv, err)
}

func (s *Server) listConversationEvents(c *gin.Context) {
	q := newQuery(c)
	after := q.Int64("after_seq")
	if err := q.Err(); err != nil {
		s.fail(c, err)
		return
	}
	conv, err := s.visibleConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var a int64
	if after != nil {
		a = *after
	}
	evs, err := s.live.Events(c.Request.Context(), conv.ID, a, false)
	s.respondList(c, evs, allPage(len(evs)), err)
}

func (s *Server) postConversationMessage(c *gin.Context) {
	var in messageInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	conv, err := s.visibleConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := me(c)
	ack, err := s.live.AgentMessageIn(c.Request.Context(), conv, livechat.Agent{ID: u.ID, Name: u.Name, Avatar: u.Avatar}, in.ClientID, in.Text)
	if err == nil {
		s.agentActed(c, conv.ID)
	}
	s.respond(c, http.StatusCreated, ack, err)
}

// agentActed: the caller typed or wrote in conv; an invisible agent becomes
// present there (livechat/present.go). The message or typing is already
// through, so a failure here is logged, not answered.
func (s *Server) agentActed(c *gin.Context, convID string) {
	if me(c).Status != crm.StatusInvisible {
		return // online agents are present everywhere already; nothing to read
	}
	if err := s.live.AgentActed(c.Request.Context(), convID, me(c).ID); err != nil {
		s.log.Warn("live chat: agent presence", "conversation", convID, "err", err)
	}
}

func (s *Server) patchConversationMessage(c *gin.Context) {
	seq, err := strconv.ParseInt(c.Param("seq"), 10, 64)
	if err != nil || seq <= 0 {
		s.fail(c, errStatus(http.StatusNotFound, fmt.Sprintf("message %q not found", c.Param("seq"))))
		return
	}
	var in editInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	conv, err := s.visibleConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	e, err := s.live.EditAgentMessage(c.Request.Context(), conv.ID, me(c).ID, seq, in.Text)
	s.respond(c, http.StatusOK, e, err)
}

// postAssign decides between claim, reassign and unassign by the body and
// the conversation's holder; the livechat calls themselves are conditional
// updates, so a decision made on a stale read loses with 409, never wins
// twice.
func (s *Server) postAssign(c *gin.Context) {
	var in assignInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	if !in.UserID.Set {
		s.fail(c, errField(http.StatusUnprocessableEntity, "user_id", "is required (null gives the chat back to the queue)"))
		return
	}
	ctx := c.Request.Context()
	u := me(c)
	conv, err := s.live.GetConversation(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	claim := in.UserID.Valid && in.UserID.V == u.ID
	// Claiming is the one call an agent may make on a chat it cannot see:
	// it saw the chat in the queue a moment ago, and must learn who won.
	if !claim && !livechat.CanSee(conv, u.ID, u.IsAdmin()) {
		s.fail(c, errStatus(http.StatusNotFound, fmt.Sprintf("conversation %q not found", c.Param("id"))))
		return
	}
	if in.UserID.Valid {
		if _, err := s.crm.GetUser(ctx, in.UserID.V); err != nil {
			if errors.Is(err, crm.ErrNotFound) {
				err = errField(http.StatusUnprocessableEntity, "user_id", "no such user")
			}
			s.fail(c, err)
			return
		}
	}
	holder := conv.AssigneeID
	mayMove := u.IsAdmin() || (holder != nil && *holder == u.ID)
	switch {
	case !in.UserID.Valid: // back to the queue
		if holder == nil {
			s.fail(c, fmt.Errorf("conversation %s is not assigned: %w", conv.ID, crm.ErrConflict))
			return
		}
		if !mayMove {
			s.fail(c, errStatus(http.StatusForbidden, "only the assignee or an admin may unassign"))
			return
		}
		conv, err = s.live.Unassign(ctx, conv.ID, *holder, u.ID)
	case holder == nil || *holder == in.UserID.V:
		if !claim && !u.IsAdmin() {
			s.fail(c, errStatus(http.StatusForbidden, "agents may only assign chats to themselves"))
			return
		}
		conv, err = s.live.Assign(ctx, conv.ID, in.UserID.V, u.ID)
	case claim && !mayMove:
		// Someone else holds it: the loser of the race.
		_, err = s.live.Assign(ctx, conv.ID, u.ID, u.ID)
	default:
		if !mayMove {
			s.fail(c, errStatus(http.StatusForbidden, "only the assignee or an admin may reassign"))
			return
		}
		conv, err = s.live.Reassign(ctx, conv.ID, *holder, in.UserID.V, u.ID)
	}
	s.respondConversation(c, conv, err)
}

func (s *Server) postClose(c *gin.Context) {
	conv, err := s.visibleConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := me(c)
	if conv.AssigneeID != nil && *conv.AssigneeID != u.ID && !u.IsAdmin() {
		s.fail(c, errStatus(http.StatusForbidden, "only the assignee or an admin may close this chat"))
		return
	}
	conv, err = s.live.Close(c.Request.Context(), conv.ID, u.ID)
	s.respondConversation(c, conv, err)
}

func (s *Server) postPanel(create string) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in livechat.PanelInput
		if err := bindJSON(c, &in); err != nil {
			s.fail(c, err)
			return
		}
		conv, err := s.visibleConversation(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		res, err := s.live.CreateFromPanel(c.Request.Context(), conv.ID, me(c).ID, create, in)
		status := http.StatusCreated
		if res.Existing {
			status = http.StatusOK
		}
		s.respond(c, status, res, err)
	}
}

func (s *Server) postTyping(c *gin.Context) {
	conv, err := s.visibleConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if u := me(c); conv.AssigneeID == nil || *conv.AssigneeID != u.ID || conv.State == livechat.StateClosed {
		s.fail(c, errStatus(http.StatusForbidden, "only the assignee of an open chat types to the visitor"))
		return
	}
	err = s.live.AgentTyping(c.Request.Context(), conv.ID, me(c).ID)
	if err == nil {
		s.agentActed(c, conv.ID)
	}
	s.respond(c, http.StatusOK, okResult{OK: true}, err)
}

func (s *Server) postRead(c *gin.Context) {
	conv, err := s.visibleConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := me(c)
	// Unread counts are the chat's, not the reader's: an agent glancing at
	// a queued chat must not clear them for the one who will take it.
	if !u.IsAdmin() && (conv.AssigneeID == nil || *conv.AssigneeID != u.ID) {
		s.respond(c, http.StatusOK, okResult{OK: false}, nil)
		return
	}
	err = s.live.MarkReadByAgent(c.Request.Context(), conv.ID)
	s.respond(c, http.StatusOK, okResult{OK: true}, err)
}

// Visitors count as online when seen within this window (a hello or page
// frame refreshes last_seen).
const (
	visitorOnlineWindow = 5 * time.Minute
	visitorRecentWindow = 24 * time.Hour
)

func (s *Server) listVisitors(c *gin.Context) {
	q := newQuery(c)
	online := q.Bool("online")
	limit := q.Int64("limit")
	if err := q.Err(); err != nil {
		s.fail(c, err)
		return
	}
	window := visitorRecentWindow
	if online != nil && *online {
		window = visitorOnlineWindow
	}
	n := 0
	if limit != nil {
		n = int(*limit)
	}
	ctx := c.Request.Context()
	vs, err := s.live.ListVisitors(ctx, 0, s.now().Add(-window), n)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := me(c)
	out := make([]visitorView, 0, len(vs))
	for _, v := range vs {
		vv := visitorView{Visitor: v}
		conv, err := s.live.OpenConversation(ctx, v.ID)
		switch {
		case err == nil:
			// Only conversations the caller may open are linked.
			if livechat.CanSee(conv, u.ID, u.IsAdmin()) {
				vv.ConversationID = &conv.ID
			}
		case !errors.Is(err, crm.ErrNotFound):
			s.fail(c, err)
			return
		}
		out = append(out, vv)
	}
	s.respondList(c, out, allPage(len(out)), nil)
}
