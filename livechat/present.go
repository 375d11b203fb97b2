package livechat

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/parley/parley/crm"
)

// Invisible agents are present where they speak. livechat.md, People: an
// invisible agent "gets no new chats; can still be invited or open a chat;
// typing in a chat makes them online there".
//
// Decision: "there" is the chat, not the workspace. Switching the agent's
// status to online would route new chats and desktop notifications to them,
// which is exactly what invisible is for, and would flip every visitor's
// presence. So the agent's status never changes; only the one conversation
// treats them as present: its visitor sees them online (a presence frame to
// that visitor alone), and OnlineIn — presence as that conversation's widget
// should see it, messenger mode included — counts them.
//
// Nothing new is stored. Present is derived from what is: an invisible agent
// is present in a conversation while they hold it (active, assigned to
// them) and have sent a message in it (an agent_message event of theirs).
// That survives a restart and holds across servers with no new column or
// cache. Typing, which is not stored, shows them online live before their
// first message; typing alone is not remembered.
//
// The welcome a visitor gets on (re)connect is built in runtime.go's Hello
// from the global count; it should use OnlineIn for the open conversation
// so a reload keeps showing a present agent online.

// AgentActed tells the conversation that the agent typed or sent a message
// in it; the api calls it after a message or a typing signal was accepted.
// When the agent is invisible and holds the chat, its visitor is told that
// someone is online here: {"type":"presence","online":true}, the frame the
// widget already knows, sent to that visitor only. Otherwise it does
// nothing: online agents are counted by presence already, and an agent who
// does not hold the chat cannot speak in it.
func (s *Service) AgentActed(ctx context.Context, conversationID string, agentID int64) error {
	c, err := s.GetConversation(ctx, conversationID)
	if err != nil {
		return err
	}
	if c.State != StateActive || c.AssigneeID == nil || *c.AssigneeID != agentID {
		return nil
	}
	u, err := s.crm.GetUser(ctx, agentID)
	if err != nil {
		return err
	}
	if u.Status != crm.StatusInvisible {
		return nil
	}
	s.publishPresentIn(ctx, c)
	return nil
}

// OnlineIn is whether conversation c's visitor should see someone online:
// any agent online (the global presence), or the invisible agent holding c
// having spoken in it.
func (s *Service) OnlineIn(ctx context.Context, c Conversation) (bool, error) {
	n, err := s.AgentsOnline(ctx, "")
	if err != nil || n > 0 {
		return n > 0, err
	}
	return s.presentIn(ctx, c)
}

// presentIn: c is active, held by an invisible agent who has sent a message
// in it.
func (s *Service) presentIn(ctx context.Context, c Conversation) (bool, error) {
	if c.State != StateActive || c.AssigneeID == nil {
		return false, nil
	}
	u, err := s.crm.GetUser(ctx, *c.AssigneeID)
	if err != nil {
		return false, err
	}
	if u.Status != crm.StatusInvisible || !u.Active {
		return false, nil
	}
	var last []Event
	if err := s.db.SelectContext(ctx, &last, s.sql.Get("last-agent-message"), c.ID, agentAuthor(u.ID)); err != nil {
		return false, fmt.Errorf("last agent message: %w", err)
	}
	return len(last) > 0, nil
}

// republishPresent follows a "nobody online" broadcast: the visitors of
// chats where an invisible agent is present still see someone online.
func (s *Service) republishPresent(ctx context.Context) error {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, s.sql.Get("present-invisible-conversations"), true); err != nil {
		return fmt.Errorf("present invisible agents: %w", err)
	}
	for _, id := range ids {
		c, err := s.GetConversation(ctx, id)
		if err != nil {
			return err
		}
		s.publishPresentIn(ctx, c)
	}
	return nil
}

func (s *Service) publishPresentIn(ctx context.Context, c Conversation) {
	b, _ := json.Marshal(map[string]any{"type": "presence", "online": true})
	s.publish(ctx, Frame{ConversationID: c.ID, VisitorID: c.VisitorID, State: c.State, Visitor: b})
}
