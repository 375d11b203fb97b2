package livechat

import (
	"context"
	"sync"
)

// Frame is one message for realtime subscribers, encoded once for all of
// them. Visitor is the visitor socket's frame (nil when the visitor may not
// see it); Agent is the agent socket's frame (nil when agents get nothing).
// The metadata lets a socket filter without decoding.
type Frame struct {
	ConversationID string // "" for frames about no conversation (presence, agent status)
	VisitorID      int64  // the conversation's visitor; 0 with ConversationID ""
	AssigneeID     int64  // the conversation's assignee at publish time, 0 when unassigned
	State          string // the conversation's state at publish time
	EventID        int64  // conversation_events.id (the agent socket's last_event); 0 when not stored
	Seq            int64  // conversation seq; 0 when not stored
	Broadcast      bool   // for every visitor subscriber (presence)
	Visitor        []byte
	Agent          []byte
}

// DefaultBuffer is the number of frames a subscriber may fall behind by
// before it is dropped.
const DefaultBuffer = 256

// Subscription receives frames on C. When the subscriber falls more than its
// buffer behind, C is closed and Dropped reports true: the client must
// reconnect and resume from its last seq (or last event id).
type Subscription struct {
	C       <-chan Frame
	c       chan Frame
	hub     *Hub
	key     subKey
	mu      sync.Mutex // guards closed, so close happens once
	closed  bool
	dropped bool
}

// Dropped tells whether the hub dropped the subscription for being slow.
func (s *Subscription) Dropped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Close unsubscribes; it is safe to call more than once and after a drop.
func (s *Subscription) Close() { s.hub.remove(s, false) }

type subKey struct {
	kind    byte // 'v' visitor, 'c' conversation, 'a' agents
	visitor int64
	conv    string
}

// Hub fans frames out to the subscribers of this process. Publish never
// blocks and never touches the database: it only copies frame pointers into
// buffered channels, dropping (closing) a subscriber whose buffer is full
// rather than skipping a frame for it or waiting on it.
type Hub struct {
	mu   sync.RWMutex
	subs map[subKey]map[*Subscription]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[subKey]map[*Subscription]struct{}{}} }

// SubscribeVisitor receives the visitor-visible frames of every conversation
// of the visitor, and presence broadcasts (the visitor socket uses this, so
// it need not resubscribe when a conversation starts).
func (h *Hub) SubscribeVisitor(visitorID int64, buffer int) *Subscription {
	return h.add(subKey{kind: 'v', visitor: visitorID}, buffer)
}

// SubscribeConversation receives every frame of one conversation (an agent
// viewing it).
func (h *Hub) SubscribeConversation(conversationID string, buffer int) *Subscription {
	return h.add(subKey{kind: 'c', conv: conversationID}, buffer)
}

// SubscribeAgents receives every frame that has an Agent encoding; the agent
// socket filters by visibility with the frame's AssigneeID and State.
func (h *Hub) SubscribeAgents(buffer int) *Subscription {
	return h.add(subKey{kind: 'a'}, buffer)
}

func (h *Hub) add(k subKey, buffer int) *Subscription {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	c := make(chan Frame, buffer)
	s := &Subscription{C: c, c: c, hub: h, key: k}
	h.mu.Lock()
	if h.subs[k] == nil {
		h.subs[k] = map[*Subscription]struct{}{}
	}
	h.subs[k][s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *Hub) remove(s *Subscription, dropped bool) {
	h.mu.Lock()
	if m := h.subs[s.key]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(h.subs, s.key)
		}
	}
	h.mu.Unlock()
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.dropped = dropped
		close(s.c)
	}
	s.mu.Unlock()
}

// Publish delivers f to its subscribers without blocking.
func (h *Hub) Publish(f Frame) {
	var slow []*Subscription
	h.mu.RLock()
	send := func(k subKey) {
		for s := range h.subs[k] {
			// The subscription cannot be closed while we hold the read lock:
			// closing removes it under the write lock first.
			select {
			case s.c <- f:
			default:
				slow = append(slow, s)
			}
		}
	}
	if f.Visitor != nil {
		if f.Broadcast {
			for k := range h.subs {
				if k.kind == 'v' {
					send(k)
				}
			}
		} else if f.VisitorID != 0 {
			send(subKey{kind: 'v', visitor: f.VisitorID})
		}
	}
	if f.ConversationID != "" {
		send(subKey{kind: 'c', conv: f.ConversationID})
	}
	if f.Agent != nil {
		send(subKey{kind: 'a'})
	}
	h.mu.RUnlock()
	for _, s := range slow {
		h.remove(s, true)
	}
}

// Bus carries frames between processes. Publish sends a frame to every
// process sharing the database, this one included; Listen registers the
// function that delivers frames arriving for this process (the hub). The
// in-process bus just calls it; a PostgreSQL LISTEN/NOTIFY bus would send a
// notification and re-read the events from the database on the other side.
type Bus interface {
	Publish(ctx context.Context, f Frame) error
	Listen(deliver func(Frame))
}

// LocalBus is the single-process Bus.
type LocalBus struct {
	mu      sync.RWMutex
	deliver []func(Frame)
}

// NewLocalBus returns a bus that delivers in-process only.
func NewLocalBus() *LocalBus { return &LocalBus{} }

// Publish delivers f to every listener synchronously; listeners must not block.
func (b *LocalBus) Publish(_ context.Context, f Frame) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, d := range b.deliver {
		d(f)
	}
	return nil
}

// Listen adds a delivery function.
func (b *LocalBus) Listen(deliver func(Frame)) {
	b.mu.Lock()
	b.deliver = append(b.deliver, deliver)
	b.mu.Unlock()
}
